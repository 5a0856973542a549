import { Counter, Histogram } from 'prom-client';
import type { Order, OrderOutput } from './order.domain.js';

const sagasFinished = new Counter({
  name: 'sagas_finished_total',
  help: 'Sagas that reached their end, by outcome (completed, cancelled) and, for a cancellation, its failure code.',
  labelNames: ['outcome', 'code'] as const,
});

const sagaDuration = new Histogram({
  name: 'saga_duration_seconds',
  help: 'Time from the order being placed to its saga ending, by outcome.',
  labelNames: ['outcome'] as const,
  buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
});

/** Counts an order's saga once its end (OrderCompleted or OrderCancelled) was committed. */
export function recordSagaEnd(order: Order, emitted: readonly OrderOutput[]): void {
  for (const event of emitted) {
    if (event.type !== 'OrderCompleted' && event.type !== 'OrderCancelled') continue; // a command to a participant
    const outcome = event.type === 'OrderCompleted' ? 'completed' : 'cancelled';
    sagasFinished.inc({ outcome, code: event.type === 'OrderCancelled' ? event.payload.code : '' });
    sagaDuration.observe({ outcome }, (Date.parse(event.occurredAt) - Date.parse(order.createdAt)) / 1_000);
  }
}
