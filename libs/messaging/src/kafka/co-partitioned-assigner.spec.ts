import { coPartitionedAssignment } from './co-partitioned-assigner.js';

const TOPICS = new Map([
  ['order.created', [0, 1, 2]],
  ['order.cancelled', [0, 1, 2]],
  ['payment.completed', [0, 1, 2]],
]);

describe('coPartitionedAssignment', () => {
  it('gives partition N of every topic to one member', () => {
    const assignment = coPartitionedAssignment(['b', 'a'], TOPICS);

    expect(Object.fromEntries(assignment)).toEqual({
      a: { 'order.created': [0, 2], 'order.cancelled': [0, 2], 'payment.completed': [0, 2] },
      b: { 'order.created': [1], 'order.cancelled': [1], 'payment.completed': [1] },
    });
  });

  it('assigns every partition exactly once, whatever the number of members', () => {
    for (const members of [['m1'], ['m1', 'm2'], ['m1', 'm2', 'm3'], ['m1', 'm2', 'm3', 'm4']]) {
      const assigned = [...coPartitionedAssignment(members, TOPICS).values()].flatMap((topics) =>
        Object.entries(topics).flatMap(([topic, partitions]) => partitions.map((partition) => `${topic}:${partition}`)),
      );
      expect(assigned.sort()).toEqual([...TOPICS].flatMap(([topic, partitions]) => partitions.map((p) => `${topic}:${p}`)).sort());
    }
  });

  it('leaves a member beyond the partition count idle (the partition count caps parallelism)', () => {
    const assignment = coPartitionedAssignment(['m1', 'm2', 'm3', 'm4'], TOPICS);
    expect(assignment.get('m4')).toEqual({});
  });

  it('answers the same on every member, whatever order the members are listed in', () => {
    expect(coPartitionedAssignment(['x', 'y', 'z'], TOPICS)).toEqual(coPartitionedAssignment(['z', 'x', 'y'], TOPICS));
  });
});
