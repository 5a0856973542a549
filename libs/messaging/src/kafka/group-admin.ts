import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import type { PartitionLag } from '../metrics.js';
import { kafkaClientConfig, type KafkaConnection } from './kafka-connection.js';

const RESET_TIMEOUT_MS = 30_000;

/** What a stateful consumer asks of the cluster about its own group: where it is, and where the topics end. */
export class GroupAdmin {
  private readonly admin: Admin;
  private connected: Promise<void> | null = null;

  constructor(connection: KafkaConnection) {
    this.admin = new Kafka({ clientId: 'group-admin', ...kafkaClientConfig(connection), logLevel: logLevel.NOTHING }).admin();
  }

  /**
   * Makes the group forget its committed offsets (by deleting the group), so that
   * its next run reads every topic from the beginning. Nothing to do if it has none;
   * otherwise waits for the members of a crashed run to leave the group first.
   */
  async forgetOffsets(groupId: string, topics: string[]): Promise<void> {
    await this.connect();
    const deadline = Date.now() + RESET_TIMEOUT_MS;
    // Checked again on every attempt: another instance starting on the same empty database may have done it.
    while ((await this.committedOffsets(groupId, topics)).size > 0) {
      try {
        await this.admin.deleteGroups([groupId]);
        return;
      } catch (error) {
        if ((error as { type?: string }).type === 'GROUP_ID_NOT_FOUND') return;
        if (Date.now() > deadline) throw error;
        await sleep(500);
      }
    }
  }

  /** The group's committed offsets: `topic:partition` → the next offset it will read (partitions it never committed are left out). */
  async committedOffsets(groupId: string, topics: string[]): Promise<Map<string, number>> {
    await this.connect();
    const committed = new Map<string, number>();
    for (const { topic, partitions } of await this.admin.fetchOffsets({ groupId, topics })) {
      for (const { partition, offset } of partitions)
        if (Number(offset) >= 0) committed.set(partitionKey(topic, partition), Number(offset));
    }
    return committed;
  }

  /**
   * Whether the group consumed (and committed) every message that was on the topics
   * when this was asked, within `waitMs`: nothing that reached Kafka before now is
   * still unread. (Under load new messages keep coming; only those already there count.)
   */
  async caughtUp(groupId: string, topics: string[], waitMs = 2_000): Promise<boolean> {
    const ends = await this.endOffsets(topics);
    const deadline = Date.now() + waitMs;
    for (;;) {
      const committed = await this.committedOffsets(groupId, topics);
      if ([...ends].every(([key, { low, high }]) => high <= low || (committed.get(key) ?? -1) >= high)) return true;
      if (Date.now() > deadline) return false;
      await sleep(100);
    }
  }

  /** The next offset to be written on each partition of the topics: `topic:partition` → offset. */
  async endOffsets(topics: string[]): Promise<Map<string, { low: number; high: number }>> {
    await this.connect();
    const ends = new Map<string, { low: number; high: number }>();
    for (const topic of topics) {
      for (const { partition, low, high } of await this.admin.fetchTopicOffsets(topic)) {
        ends.set(partitionKey(topic, partition), { low: Number(low), high: Number(high) });
      }
    }
    return ends;
  }

  /** The group's lag on `partitions` (topic → partition numbers): end offset minus committed offset (all of it, if nothing was committed). */
  async lag(groupId: string, partitions: Readonly<Record<string, readonly number[]>>): Promise<PartitionLag[]> {
    const topics = Object.keys(partitions);
    if (topics.length === 0) return [];
    const [ends, committed] = await Promise.all([this.endOffsets(topics), this.committedOffsets(groupId, topics)]);
    return Object.entries(partitions).flatMap(([topic, numbers]) =>
      numbers.map((partition) => {
        const end = ends.get(partitionKey(topic, partition));
        const from = committed.get(partitionKey(topic, partition)) ?? end?.low ?? 0;
        return { topic, partition, lag: Math.max(0, (end?.high ?? 0) - from) };
      }),
    );
  }

  async close(): Promise<void> {
    if (this.connected) await this.admin.disconnect();
    this.connected = null;
  }

  private connect(): Promise<void> {
    // A failed connect is tried again by the next caller, not remembered.
    this.connected ??= this.admin.connect().catch((error: unknown) => {
      this.connected = null;
      throw error;
    });
    return this.connected;
  }
}

export function partitionKey(topic: string, partition: number): string {
  return `${topic}:${partition}`;
}

/** The partition number of a `partitionKey`. */
export function partitionOf(key: string): number {
  return Number(key.slice(key.lastIndexOf(':') + 1));
}
