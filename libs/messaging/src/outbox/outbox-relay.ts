import { Logger } from '@nestjs/common';
import type { Message, TopicMessages } from 'kafkajs';

/** A committed event waiting to be published, as the outbox table holds it. */
export interface OutboxMessage {
  readonly id: number;
  readonly topic: string;
  readonly key: string;
  readonly value: string;
}

/** Where the relay reads from: the service's outbox table. */
export interface OutboxSource {
  pending(limit: number): OutboxMessage[];
  markPublished(ids: number[]): void;
}

export type SendBatch = (batch: TopicMessages[]) => Promise<void>;

const BATCH_SIZE = 500;
/** Well under the broker's default 1 MB request limit, whatever the size of the events. */
const BATCH_BYTES = 512 * 1024;
const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 5_000;

/**
 * Publishes the outbox right after each commit instead of polling it. Only one
 * drain runs at a time; commits that happen while it sends are picked up by the
 * next pass as one batch, so load batches itself. Rows are removed only after
 * Kafka acknowledged them: a crash in between republishes (consumers dedupe by
 * event id), it never loses an event.
 */
export class OutboxRelay {
  private readonly logger = new Logger(OutboxRelay.name);
  private draining: Promise<void> | null = null;
  private dirty = false;
  private send: SendBatch | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private retryDelay = RETRY_MIN_MS;

  constructor(private readonly outbox: OutboxSource) {}

  /** Connects the relay to a producer and publishes whatever a previous run left. */
  start(send: SendBatch): void {
    this.send = send;
    this.notify();
  }

  /** Something was committed to the outbox. */
  notify(): void {
    if (!this.send || this.retryTimer) return;
    if (this.draining) {
      this.dirty = true;
      return;
    }
    this.draining = this.drain().finally(() => {
      this.draining = null;
      if (this.dirty) {
        this.dirty = false;
        this.notify();
      }
    });
  }

  /** Publishes everything pending; used at shutdown, after consumption stopped. */
  async flush(): Promise<void> {
    while (this.draining) await this.draining;
    if (!this.send || this.outbox.pending(1).length === 0) return;
    this.notify();
    await this.currentDrain();
  }

  /** The drain in progress, if any (a method, so that TypeScript does not narrow it to what it was before a `notify`). */
  private currentDrain(): Promise<void> {
    return this.draining ?? Promise.resolve();
  }

  stop(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.send = null;
  }

  private async drain(): Promise<void> {
    try {
      for (let rows = this.nextBatch(); rows.length > 0; rows = this.nextBatch()) {
        await this.send!(groupByTopic(rows));
        this.outbox.markPublished(rows.map((row) => row.id));
      }
      this.retryDelay = RETRY_MIN_MS;
    } catch (error) {
      this.scheduleRetry(error as Error);
    }
  }

  /** The oldest pending rows, as many as fit in one request (at least one). */
  private nextBatch(): OutboxMessage[] {
    const batch: OutboxMessage[] = [];
    let bytes = 0;
    for (const row of this.outbox.pending(BATCH_SIZE)) {
      bytes += row.key.length + row.value.length;
      if (batch.length > 0 && bytes > BATCH_BYTES) break;
      batch.push(row);
    }
    return batch;
  }

  private scheduleRetry(error: Error): void {
    this.logger.warn(`Publishing the outbox failed, retrying in ${this.retryDelay} ms: ${error.message}`);
    if (this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.notify();
    }, this.retryDelay);
    this.retryDelay = Math.min(this.retryDelay * 2, RETRY_MAX_MS);
  }
}

/** Keeps the outbox order within each topic (and so within each order's partition). */
function groupByTopic(rows: OutboxMessage[]): TopicMessages[] {
  const byTopic = new Map<string, Message[]>();
  for (const row of rows) {
    const messages = byTopic.get(row.topic) ?? [];
    messages.push({ key: row.key, value: row.value });
    byTopic.set(row.topic, messages);
  }
  return [...byTopic].map(([topic, messages]) => ({ topic, messages }));
}
