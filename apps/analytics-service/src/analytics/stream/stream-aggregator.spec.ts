import { createEvent, type EventType, type PayloadOf, type SagaFact } from '#contracts';
import { ITEMS } from '#contracts/testing';
import { totalsReport } from '../analytics.domain.js';
import { mergeSnapshots, StreamAggregator, type OrderTrack, type StreamSettings } from './stream-aggregator.js';

const SETTINGS: StreamSettings = {
  graceMs: 5_000,
  orderTtlMs: 3_600_000,
  maxTrackedOrders: 1_000,
  maxClockSkewMs: 60_000,
  idleTimeoutMs: 10_000,
};
const T0 = Date.parse('2026-11-25T10:00:00.000Z');

const orderId = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

/** An event of order `n` that happened `atMs` after T0. */
function event<T extends EventType>(n: number, type: T, atMs: number, payload: Omit<PayloadOf<T>, 'orderId'>): SagaFact {
  const id = orderId(n);
  return createEvent(type, { ...payload, orderId: id } as PayloadOf<T>, {
    correlationId: id,
    causationId: null,
    occurredAt: new Date(T0 + atMs),
  }) as SagaFact;
}
const created = (n: number, atMs: number) => event(n, 'OrderCreated', atMs, { userId: 'u', items: ITEMS, totalCents: 6000 });
const completed = (n: number, atMs: number) => event(n, 'OrderCompleted', atMs, { totalCents: 6000 });
const cancelled = (n: number, atMs: number) => event(n, 'OrderCancelled', atMs, { reason: 'payment failed', code: 'PAYMENT.DECLINED' });
const paid = (n: number, atMs: number) =>
  event(n, 'PaymentCompleted', atMs, { paymentId: '00000000-0000-4000-8000-000000000000', amountCents: 6000, items: ITEMS });

describe('StreamAggregator', () => {
  it('counts events in the minute of their event time, whatever the order they arrive in', () => {
    const stream = new StreamAggregator(SETTINGS);
    stream.apply(created(1, 61_000), null);
    stream.apply(created(2, 5_000), null); // arrives after a later event, window still open
    stream.apply(created(3, 62_000), null);

    const perMinute = stream.report(T0 + 62_000, false).ordersPerMinute;
    expect(perMinute.slice(-2)).toEqual([1, 2]);
  });

  it('accepts a late event within the grace period and drops a later one into lateEventsDropped', () => {
    const stream = new StreamAggregator(SETTINGS);
    stream.apply(created(1, 64_000), null); // stream time 1:04: minute 0 closes at 1:05 (end 1:00 + 5 s grace)
    expect(stream.apply(created(2, 59_000), null)).toBe(true);
    stream.apply(created(3, 66_000), null); // stream time 1:06: minute 0 is closed now
    stream.apply(created(4, 30_000), null);

    const report = stream.report(T0 + 66_000, false);
    expect(report.ordersPerMinute.slice(-2)).toEqual([1, 2]);
    expect(report.lateEventsDropped).toBe(1);
    expect(report.counters.orders_created).toBe(4); // the lifetime total still counts it
  });

  it('closes windows on wall-clock time when the stream is quiet, but not while replaying a backlog', () => {
    const replaying = new StreamAggregator(SETTINGS);
    replaying.apply(created(1, 1_000), null);
    replaying.apply(created(2, 2_000), null);
    expect(replaying.apply(created(3, 3_000), null)).toBe(true);
    expect(replaying.report(T0 + 10_000, false).lateEventsDropped).toBe(0);

    const live = new StreamAggregator(SETTINGS);
    live.apply(created(1, 1_000), T0 + 1_000);
    live.apply(created(2, 2_000), T0 + 70_000); // wall clock 1:10: minute 0 closed at 1:05
    const report = live.report(T0 + 70_000, true);
    expect(report.lateEventsDropped).toBe(1);
    expect(report.ordersPerMinute.slice(-2)).toEqual([1, 0]);
  });

  it('drops nothing when a replay reads one partition after another', () => {
    const stream = new StreamAggregator(SETTINGS);
    stream.expectPartitions(['p0', 'p1'], T0); // both hold unread events at start-up
    for (let n = 0; n < 10; n++) stream.apply(created(n, n * 30_000), null, 'p0'); // 0:00 .. 4:30
    for (let n = 10; n < 20; n++) stream.apply(created(n, (n - 10) * 30_000 + 1_000), null, 'p1'); // far behind p0

    const report = stream.report(T0 + 300_000, false);
    expect(report.lateEventsDropped).toBe(0);
    expect(report.ordersPerMinute.slice(-6)).toEqual([4, 4, 4, 4, 4, 0]); // the last entry is the current minute, 5:00
  });

  it('keeps a window closed once the wall clock closed it, even when it may not be used for a while', () => {
    const stream = new StreamAggregator(SETTINGS);
    stream.apply(created(1, 1_000), T0 + 1_000, 'p0');
    stream.apply(created(2, 2_000), T0 + 3_700_000, 'p1'); // the wall clock closes minute 0 and hour 0
    expect(stream.report(T0 + 3_700_000, true).hourlyTotals.at(-2)).toMatchObject({ orders: 1, final: true });

    stream.apply(created(3, 3_000), null, 'p0'); // then a backlog: only the (older) watermark may be used
    const report = stream.report(T0 + 3_700_000, false);
    expect(report.lateEventsDropped).toBe(2);
    expect(report.hourlyTotals.at(-2)).toMatchObject({ orders: 1, final: true });
  });

  it('lets a partition with nothing left to read stop holding the watermark back', () => {
    const stream = new StreamAggregator(SETTINGS);
    stream.expectPartitions(['p0', 'p1'], T0);
    stream.apply(created(1, 1_000), null, 'p0');
    stream.apply(created(2, 200_000), null, 'p0');
    stream.apply(created(3, 2_000), null, 'p0'); // p1 silent: the watermark stays put, nothing is late
    expect(stream.report(T0 + 200_000, false).lateEventsDropped).toBe(0);

    stream.expectPartitions([], T0); // p1 turned out to have nothing to read
    stream.apply(created(4, 3_000), null, 'p0');
    expect(stream.report(T0 + 200_000, false).lateEventsDropped).toBe(1);
  });

  it('marks an hourly window final once it closed', () => {
    const stream = new StreamAggregator(SETTINGS);
    stream.apply(created(1, 1_000), T0 + 1_000);
    stream.apply(paid(1, 2_000), T0 + 2_000);

    const during = stream.report(T0 + 30 * 60_000, true).hourlyTotals.at(-1)!;
    expect(during).toMatchObject({ start: new Date(T0).toISOString(), orders: 1, revenue: 60, final: false });
    const after = stream.report(T0 + 3_600_000 + 5_000, true).hourlyTotals.at(-2)!;
    expect(after).toMatchObject({ start: new Date(T0).toISOString(), orders: 1, final: true });
  });

  it('counts the orders of the last 60 seconds as a sliding window', () => {
    const stream = new StreamAggregator(SETTINGS);
    for (const [n, at] of [
      [1, 10_000],
      [2, 50_000],
      [3, 75_000],
      [4, 95_000],
    ])
      stream.apply(created(n, at), null);
    expect(stream.report(T0 + 95_000, false).ordersLastMinute).toBe(3); // 0:36..1:35
    expect(stream.report(T0 + 111_000, false).ordersLastMinute).toBe(2);
  });

  it('counts an event once even when a second copy arrives with another event id', () => {
    const stream = new StreamAggregator(SETTINGS);
    expect(stream.apply(created(1, 1_000), null)).toBe(true);
    expect(stream.apply(created(1, 1_000), null)).toBe(false);
    const report = stream.report(T0 + 2_000, false);
    expect(report.counters.orders_created).toBe(1);
    expect(report.eventsProcessed).toBe(1);
  });

  it('joins creation and outcome into saga durations, in either arrival order', () => {
    const stream = new StreamAggregator(SETTINGS);
    stream.apply(created(1, 0), null);
    stream.apply(completed(1, 40), null);
    stream.apply(completed(2, 1_100), null); // the outcome arrives first
    stream.apply(created(2, 1_000), null);
    stream.apply(created(3, 2_000), null); // still in flight

    const durations = stream.report(T0 + 3_000, false).sagaDurationMs;
    expect(durations.count).toBe(2);
    expect(durations.p50).toBeGreaterThanOrEqual(40);
    expect(durations.p50).toBeLessThanOrEqual(42);
    expect(durations.p99).toBeGreaterThanOrEqual(100);
    expect(durations.p99).toBeLessThanOrEqual(105);
  });

  it('gives the same figures after a snapshot and restore, and goes on from there', () => {
    const original = new StreamAggregator(SETTINGS);
    for (let n = 0; n < 50; n++) {
      original.apply(created(n, n * 1_000), null);
      if (n % 3 === 0) original.apply(completed(n, n * 1_000 + 30), null);
    }
    const restored = new StreamAggregator(SETTINGS);
    restored.restore(
      JSON.parse(JSON.stringify(original.snapshot())),
      original.takeOrderChanges().changed.map(([id, track]) => [id, JSON.parse(track) as OrderTrack]),
    );

    expect(restored.report(T0 + 50_000, false)).toEqual(original.report(T0 + 50_000, false));
    original.apply(completed(1, 51_000), null);
    restored.apply(completed(1, 51_000), null);
    expect(restored.apply(created(0, 0), null)).toBe(false); // its de-duplication state came back too
    expect(restored.report(T0 + 52_000, false)).toEqual(original.report(T0 + 52_000, false));
  });

  it('keeps its memory bounded: old windows and the oldest order tracks are dropped', () => {
    const stream = new StreamAggregator({ ...SETTINGS, maxTrackedOrders: 100 });
    for (let n = 0; n < 100; n++) stream.apply(created(n, n * 10_000), null);
    expect(stream.takeOrderChanges().changed).toHaveLength(100); // saved: each has a row from now on
    for (let n = 100; n < 5_000; n++) stream.apply(created(n, n * 10_000), null); // ~14 hours of orders
    stream.expire(null);

    const report = stream.report(T0 + 5_000 * 10_000, false);
    expect(report.trackedOrders).toBe(100);
    expect(stream.snapshot().minutes.length).toBeLessThanOrEqual(62);
    expect(stream.snapshot().hours.length).toBeLessThanOrEqual(26);
    // The 100 saved tracks are deleted; the 4,800 forgotten before any snapshot took them have no row to delete.
    const { changed, forgotten } = stream.takeOrderChanges();
    expect(forgotten).toHaveLength(100);
    expect(new Set(forgotten)).toEqual(new Set(Array.from({ length: 100 }, (_, n) => orderId(n))));
    expect(changed).toHaveLength(100);
  });

  it('forgets the order heard of least recently, however orders come back, and goes on so after a restore', () => {
    const settings = { ...SETTINGS, maxTrackedOrders: 50 };
    let seed = 7;
    const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    const heard: string[] = []; // the model: order ids, most recently heard of last
    let time = 0;
    const hear = (stream: StreamAggregator) => {
      const n = Math.floor(random() * 200);
      stream.apply(created(n, (time += 10)), null); // a second copy is skipped, but it is still news of the order
      if (heard.includes(orderId(n))) heard.splice(heard.indexOf(orderId(n)), 1);
      heard.push(orderId(n));
    };
    const lastHeard = () => new Set(heard.slice(-50));

    const before = new StreamAggregator(settings);
    for (let i = 0; i < 3_000; i++) hear(before);
    const tracks = before.takeOrderChanges().changed.map(([id, text]): [string, OrderTrack] => [id, JSON.parse(text) as OrderTrack]);
    expect(new Set(tracks.map(([id]) => id))).toEqual(lastHeard());

    const after = new StreamAggregator(settings);
    after.restore(before.snapshot(), tracks);
    for (let i = 0; i < 3_000; i++) hear(after);
    // Tracked now: the restored tracks not forgotten since, and those changed since the restore.
    const { changed, forgotten } = after.takeOrderChanges();
    const tracked = new Set([...tracks.map(([id]) => id).filter((id) => !forgotten.includes(id)), ...changed.map(([id]) => id)]);
    expect(tracked).toEqual(lastHeard());
    expect(after.trackedOrders).toBe(50);
  });

  it('deletes the row of a saved track forgotten again after it came back', () => {
    const stream = new StreamAggregator({ ...SETTINGS, maxTrackedOrders: 1 });
    stream.apply(created(1, 0), null);
    stream.takeOrderChanges(); // order 1 saved
    stream.apply(created(2, 1_000), null); // order 1 forgotten: its row is to be deleted...
    stream.apply(completed(1, 2_000), null); // ...but it is back (and order 2 forgotten, never saved)
    stream.apply(created(3, 3_000), null); // order 1 forgotten again

    expect(stream.takeOrderChanges()).toEqual({ changed: [[orderId(3), expect.any(String)]], forgotten: [orderId(1)] });
  });

  it('merges the partitions of the stream into the figures one aggregator of every event would give', () => {
    const events = [created(1, 1_000), paid(1, 1_500), completed(1, 2_000), created(2, 61_000), created(3, 62_000), completed(3, 63_000)];
    const whole = new StreamAggregator(SETTINGS);
    const parts = [new StreamAggregator(SETTINGS), new StreamAggregator(SETTINGS)];
    for (const item of events) {
      whole.apply(item, null, `p${Number(item.correlationId.slice(-1)) % 2}`);
      parts[Number(item.correlationId.slice(-1)) % 2].apply(item, null, `p${Number(item.correlationId.slice(-1)) % 2}`);
    }

    const merged = new StreamAggregator(SETTINGS);
    merged.restore(mergeSnapshots(parts.map((part) => part.snapshot())), []);

    const { trackedOrders: _tracked, ...figures } = merged.report(T0 + 63_000, false);
    const { trackedOrders: _all, ...expected } = whole.report(T0 + 63_000, false);
    expect(figures).toEqual(expected);
  });

  it('takes an event time far in the future as the time it was read, counts it, and forgets no tracked order', () => {
    const stream = new StreamAggregator(SETTINGS);
    stream.apply(created(1, 1_000), null, 'p0', T0 + 1_000);
    const wrongClock = event(2, 'OrderCreated', 365 * 24 * 3_600_000, { userId: 'u', items: ITEMS, totalCents: 6000 });

    stream.apply(wrongClock, null, 'p0', T0 + 2_000);
    stream.expire(null);

    const report = stream.report(T0 + 2_000, false);
    expect(report.futureEventsClamped).toBe(1);
    expect(report.trackedOrders).toBe(2);
    expect(report.ordersPerMinute.at(-1)).toBe(2);
    expect(stream.apply(created(1, 1_000), null, 'p0', T0 + 3_000)).toBe(false); // still recognised as a duplicate
  });

  it('stops an idle partition from holding the watermark back once it has had nothing unread for idleTimeoutMs', () => {
    const stream = new StreamAggregator(SETTINGS);
    stream.apply(created(1, 1_000), null, 'released'); // a topic that rarely gets events
    for (let n = 2; n < 10; n++) stream.apply(created(n, n * 30_000), null, 'created'); // up to 4:30
    stream.expectPartitions(['created'], T0 + 300_000); // 'released' has nothing unread from now on
    expect(stream.report(T0 + 300_000, false).hourlyTotals.at(-1)).toMatchObject({ final: false });
    stream.apply(created(10, 30_000), null, 'created'); // not idle long enough yet: minute 0 still open
    expect(stream.report(T0 + 300_000, false).lateEventsDropped).toBe(0);

    stream.expectPartitions(['created'], T0 + 300_000 + 10_000);
    stream.apply(created(11, 31_000), null, 'created'); // the watermark is 'created's own time now: minute 0 closed
    expect(stream.report(T0 + 310_000, false).lateEventsDropped).toBe(1);
    stream.apply(created(12, 320_000), null, 'released'); // its next event makes it count again
    expect(stream.report(T0 + 320_000, false).counters.orders_created).toBe(12);
  });

  it('keeps its windows bounded while a silent partition holds the watermark back', () => {
    const stream = new StreamAggregator(SETTINGS);
    stream.expectPartitions(['p0', 'p1'], T0); // p1 has unread events that never come: the watermark stays at the start
    for (let n = 0; n < 3 * 3_600; n++) stream.apply(created(n, n * 3_000), null, 'p0'); // 9 hours of orders, one every 3 s
    stream.expire(null);

    const snapshot = stream.snapshot();
    expect(snapshot.seconds.length).toBeLessThanOrEqual(62);
    expect(snapshot.minutes.length).toBeLessThanOrEqual(62);
    expect(snapshot.hours.length).toBeLessThanOrEqual(26);
  });

  it('counts an outcome only once the order it finishes was counted, so a replay never contradicts itself', () => {
    const stream = new StreamAggregator(SETTINGS);
    stream.apply(paid(1, 1_500), null, 'payment');
    stream.apply(completed(1, 2_000), null, 'completed');
    expect(totalsReport(stream.report(T0 + 2_000, false).counters)).toMatchObject({ orderCount: 0, successfulOrders: 0, totalRevenue: 0 });

    stream.apply(created(1, 1_000), null, 'created');
    const report = stream.report(T0 + 2_000, false);
    expect(totalsReport(report.counters)).toMatchObject({ orderCount: 1, successfulOrders: 1, ordersInFlight: 0, totalRevenue: 60 });
    expect(report.sagaDurationMs.count).toBe(1);
    expect(report.ordersPerMinute.at(-1)).toBe(1);
  });

  it('never shows more orders finished than created, whatever speed each topic is read at', () => {
    // Three topics of one partition, read at random relative speeds (each topic in its own order).
    let seed = 42;
    const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    const topics: Record<string, SagaFact[]> = { created: [], paid: [], outcome: [] };
    for (let n = 0; n < 300; n++) {
      topics.created.push(created(n, n * 100));
      if (n % 4 === 3) topics.outcome.push(cancelled(n, n * 100 + 20));
      else {
        topics.paid.push(paid(n, n * 100 + 10));
        topics.outcome.push(completed(n, n * 100 + 30));
      }
    }
    const stream = new StreamAggregator(SETTINGS);
    const next = { created: 0, paid: 0, outcome: 0 };
    for (;;) {
      const open = Object.keys(topics).filter((topic) => next[topic as keyof typeof next] < topics[topic].length);
      if (open.length === 0) break;
      const topic = open[Math.floor(random() * open.length)] as keyof typeof next;
      stream.apply(topics[topic][next[topic]++], null, topic);
      const totals = totalsReport(stream.report(T0 + 30_000, false).counters);
      expect(totals.successfulOrders + totals.failedOrders).toBeLessThanOrEqual(totals.orderCount);
      expect(totals.ordersInFlight).toBeGreaterThanOrEqual(0);
    }
    expect(totalsReport(stream.report(T0 + 30_000, false).counters)).toMatchObject({
      orderCount: 300,
      successfulOrders: 225,
      failedOrders: 75,
      ordersInFlight: 0,
      totalRevenue: 225 * 60,
    });
  });

  it('counts what an order held once its track is forgotten without an OrderCreated (gone from the topic)', () => {
    const stream = new StreamAggregator({ ...SETTINGS, maxTrackedOrders: 2 });
    stream.apply(completed(1, 1_000), null);
    stream.apply(created(2, 2_000), null);
    stream.apply(created(3, 3_000), null); // order 1 is the oldest track: forgotten, its outcome counted
    expect(totalsReport(stream.report(T0 + 3_000, false).counters)).toMatchObject({ orderCount: 2, successfulOrders: 1 });
  });
});
