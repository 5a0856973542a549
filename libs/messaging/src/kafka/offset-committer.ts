import { Logger } from '@nestjs/common';
import type { EachBatchPayload } from 'kafkajs';

export type BatchHandler = (payload: EachBatchPayload) => Promise<void>;

/** What the committer needs of a batch: its consumer's offsets (every batch of one consumer shares them) and whether it runs. */
type ConsumerOffsets = Pick<EachBatchPayload, 'uncommittedOffsets' | 'commitOffsetsIfNecessary' | 'isRunning'>;

/**
 * Commits a consumer's offsets at most `intervalMs` after the batch that resolved them, in
 * one request for all its partitions, instead of after every batch.
 *
 * kafkajs's `autoCommit` commits after every `eachBatch` call and waits for it before the
 * next fetch; its `autoCommitInterval` applies to `eachMessage` only (kafkajs#1014). Under
 * light load a batch holds one event, so that was one OffsetCommit request per event in each
 * participant, in the path of every saga step (docs/performance.md). Committing later is
 * safe here because every participant is an idempotent consumer: a message whose offset was
 * not committed yet when its service crashed, or when its partition moved to another
 * instance, is delivered again and skipped by the inbox, as when a commit fails.
 *
 * What kafkajs's auto-commit also did is kept: a batch that ends while the consumer stops is
 * committed at once (before kafkajs leaves the group), and `flush` commits at once, which
 * the service calls before it stops consuming and when the group starts to rebalance.
 */
export class OffsetCommitter {
  private readonly logger = new Logger(OffsetCommitter.name);
  private consumer: ConsumerOffsets | null = null;
  private timer: NodeJS.Timeout | null = null;
  /** Commits run one after another, so that a later one never lands before an earlier one. */
  private committing: Promise<void> = Promise.resolve();

  constructor(private readonly intervalMs: number) {}

  /** `handler` as a kafkajs `eachBatch` handler (run with `autoCommit: false`) whose resolved offsets this commits. */
  around(handler: BatchHandler): BatchHandler {
    return async (payload) => {
      try {
        await handler(payload);
      } finally {
        // As kafkajs's auto-commit does, what the batch resolved is committed even if it then failed.
        this.consumer = payload;
        if (payload.isRunning()) this.schedule();
        else await this.flush();
      }
    };
  }

  /**
   * Commits what the consumer resolved and did not commit yet, now. Never rejects: a commit that
   * failed is tried again an interval later (until then, those messages would be delivered again).
   */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.committing = this.committing.then(() => this.commit());
    return this.committing;
  }

  private schedule(): void {
    this.timer ??= setTimeout(() => void this.flush(), this.intervalMs).unref();
  }

  private async commit(): Promise<void> {
    const consumer = this.consumer;
    if (!consumer) return;
    try {
      const offsets = consumer.uncommittedOffsets();
      // Given offsets, kafkajs commits them whatever its auto-commit settings.
      if (offsets.topics.length > 0) await consumer.commitOffsetsIfNecessary(offsets);
    } catch (error) {
      // A consumer that stopped (or crashed, and kafkajs made a new one) has nothing more to commit: its next owner reads those messages again.
      const again = consumer.isRunning();
      const next = again ? `trying again in ${this.intervalMs} ms` : 'its consumer stopped, those messages will be delivered again';
      this.logger.warn(`committing offsets failed (${(error as Error).message}): ${next}`);
      if (again) this.schedule();
    }
  }
}
