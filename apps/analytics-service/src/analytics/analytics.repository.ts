import { Inject, Injectable } from '@nestjs/common';
import { DATABASE, type Db } from '#common';
import type { CounterDelta, Counters } from './analytics.domain.js';

/** The aggregates, kept in the service's database so that a restart resumes them exactly. */
@Injectable()
export class AnalyticsRepository {
  private readonly statements;

  constructor(@Inject(DATABASE) db: Db) {
    this.statements = {
      increment: db.prepare('INSERT INTO counters (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = value + excluded.value'),
      counters: db.prepare<[], { name: string; value: number }>('SELECT name, value FROM counters'),
      countOrder: db.prepare('INSERT INTO orders_by_second (second, orders) VALUES (?, 1) ON CONFLICT (second) DO UPDATE SET orders = orders + 1'),
      ordersSince: db.prepare<[number], { second: number; orders: number }>('SELECT second, orders FROM orders_by_second WHERE second >= ?'),
      prune: db.prepare('DELETE FROM orders_by_second WHERE second < ?'),
    };
  }

  increment(deltas: readonly CounterDelta[]): void {
    for (const [name, delta] of deltas) this.statements.increment.run(name, delta);
  }

  countOrderAt(second: number): void {
    this.statements.countOrder.run(second);
  }

  counters(): Counters {
    return Object.fromEntries(this.statements.counters.all().map(({ name, value }) => [name, value]));
  }

  ordersBySecondSince(second: number): Map<number, number> {
    return new Map(this.statements.ordersSince.all(second).map(({ second: at, orders }) => [at, orders]));
  }

  /** Drops per-second counts older than what any report shows: memory and disk stay flat. */
  pruneBefore(second: number): void {
    this.statements.prune.run(second);
  }
}
