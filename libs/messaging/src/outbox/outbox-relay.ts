import { AsyncResource } from 'node:async_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Logger } from '@nestjs/common';
import type { Message, TopicMessages } from 'kafkajs';
import type { Span } from '@opentelemetry/api';
import { outboxPublish } from '../metrics.js';
import { endSpans, producerSpan } from '../tracing.js';

/** A committed event waiting to be published, as the outbox table holds it. */
export interface OutboxMessage {
  readonly id: number;
  readonly topic: string;
  readonly key: string;
  readonly value: string;
  /** When the transaction that wrote it committed (ISO 8601). */
  readonly createdAt: string;
  /** The trace context it was written under (JSON of W3C trace-context headers), null with tracing off. */
  readonly headers: string | null;
}

/** Where the relay reads from: the service's outbox table. */
export interface OutboxSource {
  pending(limit: number): Promise<OutboxMessage[]>;
  markPublished(ids: number[]): Promise<void>;
  /** Runs `work` unless another instance's relay is publishing; resolves to whether it ran. */
  exclusively(work: () => Promise<void>): Promise<boolean>;
}

export type SendBatch = (batch: TopicMessages[]) => Promise<void>;

export interface RelayOptions {
  /**
   * Also look at the outbox this often (0: never). With several instances on one
   * database, this is how rows that another instance committed (and did not get to
   * publish before it died) go out.
   */
  readonly pollMs?: number;
}

const BATCH_SIZE = 500;
/** Well under the broker's default 1 MB request limit, whatever the size of the events. */
const BATCH_BYTES = 512 * 1024;
const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 5_000;
/** Another instance's relay is publishing: look again this soon, in case it finished before our rows. */
const BUSY_RETRY_MS = 50;

/**
 * Publishes the outbox right after each commit (and, when asked, on a poll). Only
 * one drain runs at a time in a process, and only one relay at a time across the
 * instances sharing the database, so rows go out in the order they were committed
 * and each order's events stay in order. Commits that happen while a send is in
 * flight are picked up by the next pass as one batch, so load batches itself.
 * Rows are removed only after Kafka acknowledged them: a crash in between
 * republishes (consumers dedupe by event id), it never loses an event.
 */
export class OutboxRelay {
  private readonly logger = new Logger(OutboxRelay.name);
  private draining: Promise<void> | null = null;
  private dirty = false;
  private send: SendBatch | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private pollTimer: NodeJS.Timeout | null = null;
  private retryDelay = RETRY_MIN_MS;
  /**
   * A drain runs in the context the relay was made in, not in that of whoever notified it:
   * a commit's request or consumed event (its log fields, its trace) has nothing to do with
   * the rows the drain publishes, each of which carries its own trace context.
   */
  private readonly startDrain = AsyncResource.bind(() => this.drain());

  constructor(private readonly outbox: OutboxSource) {}

  /** Connects the relay to a producer and publishes whatever a previous run left. */
  start(send: SendBatch, { pollMs = 0 }: RelayOptions = {}): void {
    this.send = send;
    if (pollMs > 0) this.pollTimer = setInterval(() => this.notify(), pollMs);
    this.notify();
  }

  /** Something was committed to the outbox. */
  notify(): void {
    if (!this.send || this.retryTimer) return;
    if (this.draining) {
      this.dirty = true;
      return;
    }
    this.draining = this.startDrain().finally(() => {
      this.draining = null;
      if (this.dirty) {
        this.dirty = false;
        this.notify();
      }
    });
  }

  /**
   * Publishes everything pending; used at shutdown, after consumption stopped. A failed
   * send (or another instance holding the outbox) is retried until `deadline` (epoch ms),
   * not given up at once. Resolves to whether the outbox is empty.
   */
  async flush(deadline: number): Promise<boolean> {
    for (;;) {
      while (this.draining) await this.draining;
      if (!this.send) return false;
      try {
        if ((await this.outbox.pending(1)).length === 0) return true;
      } catch (error) {
        this.logger.warn(`Reading the outbox failed: ${(error as Error).message}`);
      }
      const left = deadline - Date.now();
      if (left <= 0) return false;
      // Whatever the relay was waiting for (a backoff, a busy outbox), try now, then no sooner than its backoff.
      const wait = this.retryTimer ? Math.min(this.retryDelay, left) : 0;
      this.cancelRetry();
      if (wait > 0) await sleep(wait);
      this.notify();
      await this.currentDrain();
    }
  }

  stop(): void {
    this.cancelRetry();
    if (this.pollTimer) clearInterval(this.pollTimer);
    this.pollTimer = null;
    this.send = null;
  }

  private cancelRetry(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  /** The drain in progress, if any (a method, so that TypeScript does not narrow it to what it was before a `notify`). */
  private currentDrain(): Promise<void> {
    return this.draining ?? Promise.resolve();
  }

  private async drain(): Promise<void> {
    try {
      const ran = await this.outbox.exclusively(() => this.publishPending());
      this.retryDelay = RETRY_MIN_MS;
      if (!ran) this.retryIn(BUSY_RETRY_MS);
    } catch (error) {
      this.logger.warn(`Publishing the outbox failed, retrying in ${this.retryDelay} ms: ${(error as Error).message}`);
      this.retryIn(this.retryDelay);
      this.retryDelay = Math.min(this.retryDelay * 2, RETRY_MAX_MS);
    }
  }

  private async publishPending(): Promise<void> {
    for (let rows = await this.nextBatch(); rows.length > 0; rows = await this.nextBatch()) {
      const { batch, spans } = toBatch(rows);
      try {
        await this.send!(batch);
      } catch (error) {
        endSpans(spans, error);
        throw error;
      }
      endSpans(spans);
      const acknowledged = Date.now();
      for (const row of rows) outboxPublish.observe((acknowledged - Date.parse(row.createdAt)) / 1_000);
      await this.outbox.markPublished(rows.map((row) => row.id));
    }
  }

  /** The oldest pending rows, as many as fit in one request (at least one). */
  private async nextBatch(): Promise<OutboxMessage[]> {
    const batch: OutboxMessage[] = [];
    let bytes = 0;
    for (const row of await this.outbox.pending(BATCH_SIZE)) {
      bytes += row.key.length + row.value.length;
      if (batch.length > 0 && bytes > BATCH_BYTES) break;
      batch.push(row);
    }
    return batch;
  }

  private retryIn(ms: number): void {
    if (this.retryTimer || !this.send) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.notify();
    }, ms);
  }
}

/**
 * One request's messages, grouped by topic in outbox order (and so in order within each
 * order's partition); a row written under a trace gets a producer span, carried in its headers.
 */
function toBatch(rows: OutboxMessage[]): { batch: TopicMessages[]; spans: Span[] } {
  const byTopic = new Map<string, Message[]>();
  const spans: Span[] = [];
  for (const row of rows) {
    const messages = byTopic.get(row.topic) ?? [];
    if (row.headers === null) messages.push({ key: row.key, value: row.value });
    else {
      const { span, headers } = producerSpan(row.topic, JSON.parse(row.headers) as Record<string, string>, { 'order.id': row.key });
      spans.push(span);
      messages.push({ key: row.key, value: row.value, headers });
    }
    byTopic.set(row.topic, messages);
  }
  return { batch: [...byTopic].map(([topic, messages]) => ({ topic, messages })), spans };
}
