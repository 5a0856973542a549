import { AssignerProtocol, type PartitionAssigner } from 'kafkajs';

/** Partitions of each topic: topic → partition numbers. */
export type TopicPartitions = ReadonlyMap<string, readonly number[]>;

/**
 * Gives partition N of every subscribed topic to the same member: the events of
 * one order (keyed by order id, so on partition N of each topic) all reach one
 * instance, whichever topic they travel on. Members are sorted by id and partition
 * numbers dealt out in turn, so every member computes the same answer. (kafkajs's
 * default round-robin deals out topic-partitions, which splits partition N of two
 * topics between two instances.)
 */
export function coPartitionedAssignment(memberIds: readonly string[], partitions: TopicPartitions): Map<string, Record<string, number[]>> {
  const members = [...memberIds].sort();
  const assignment = new Map<string, Record<string, number[]>>(members.map((member) => [member, {}]));
  if (members.length === 0) return assignment;
  for (const [topic, numbers] of partitions) {
    for (const partition of numbers) {
      const owned = assignment.get(members[partition % members.length])!;
      owned[topic] = [...(owned[topic] ?? []), partition];
    }
  }
  return assignment;
}

const VERSION = 0;

/** The kafkajs assigner around `coPartitionedAssignment`, for `consumer.partitionAssigners`. */
export const CoPartitionedAssigner: PartitionAssigner = ({ cluster }) => ({
  name: 'CoPartitionedAssigner',
  version: VERSION,
  assign({ members, topics }) {
    const partitions = new Map(
      topics.map((topic) => [topic, cluster.findTopicPartitionMetadata(topic).map(({ partitionId }) => partitionId)]),
    );
    const assignment = coPartitionedAssignment(
      members.map(({ memberId }) => memberId),
      partitions,
    );
    return Promise.resolve(
      [...assignment].map(([memberId, topicPartitions]) => ({
        memberId,
        memberAssignment: AssignerProtocol.MemberAssignment.encode({
          version: VERSION,
          assignment: topicPartitions,
          userData: Buffer.alloc(0),
        }),
      })),
    );
  },
  protocol({ topics }) {
    return {
      name: 'CoPartitionedAssigner',
      metadata: AssignerProtocol.MemberMetadata.encode({ version: VERSION, topics, userData: Buffer.alloc(0) }),
    };
  },
});
