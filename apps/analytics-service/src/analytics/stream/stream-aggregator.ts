/**
 * The analytics stream processor's state and logic, with no Kafka, Nest or clock
 * of its own: events go in with `apply`, figures come out with `report`, and the
 * caller says what time it is (or that the wall clock must not be used). The
 * lifetime totals are a pure function of the events; the windowed figures also
 * depend on when the wall clock closed a window, which is what it is for.
 *
 * - Lifetime totals count every event exactly once (`countersFor`).
 * - Windowed figures use event time (occurredAt): tumbling 1-minute and 1-hour
 *   windows, and a sliding "last 60 seconds" built from 1-second windows.
 * - Windows close on the watermark: the oldest of the newest event times seen on
 *   each partition (a replay reads partitions one after another, so the newest
 *   event overall would close windows that other partitions still feed), and on
 *   the wall clock while nothing is left to read. A partition with nothing unread
 *   for `idleTimeoutMs` is idle and does not hold the watermark back (a topic that
 *   rarely gets events would otherwise keep every window open). The closing time
 *   never goes back, so a window once closed (and reported `final`) stays closed.
 * - State is bounded whatever the input: windows are dropped once older than what
 *   reports show, measured from the newest event time as well as from the closing
 *   time; order tracks are bounded in number and age.
 * - An order's other events count once its OrderCreated has: until then they are
 *   held in its track (a replay reads the topics at different speeds, and outcomes
 *   must not be counted before the orders they finish: never more orders finished
 *   than created, never a negative number in flight). A track forgotten with events
 *   still held (its OrderCreated is gone from the topic) counts them then.
 * - An event whose 1-minute window has closed (window end + grace period passed)
 *   is late: it still counts in the lifetime totals, but not in any window, and
 *   `lateEventsDropped` says how many such events there were.
 * - Each order's events are tracked (bounded, oldest forgotten first) to join
 *   OrderCreated with the order's outcome (saga duration) and to drop a second copy
 *   of an event an order already had, whatever its event id.
 */
import type { SagaFact } from '#contracts';
import { countedPart, countersFor, type CountedFact, type Counters } from '../analytics.domain.js';
import { DurationHistogram, type DurationSummary } from './duration-histogram.js';
import { TumblingWindows } from './tumbling-windows.js';

export interface StreamSettings {
  /** How long after its end a window still accepts late events. */
  readonly graceMs: number;
  /** An order not heard of for this long (event time) is forgotten. */
  readonly orderTtlMs: number;
  /** At most this many orders are tracked at once. */
  readonly maxTrackedOrders: number;
  /** An event time further than this ahead of the time the event is read is taken as the read time (a wrong clock). */
  readonly maxClockSkewMs: number;
  /** A partition with nothing unread for this long no longer holds the watermark back. */
  readonly idleTimeoutMs: number;
}

export interface WindowFigures {
  orders: number;
  completed: number;
  cancelled: number;
  revenueCents: number;
  refundedCents: number;
}

export interface OrderTrack {
  createdAt: number | null;
  finishedAt: number | null;
  /** One bit per event type the order has had. */
  seen: number;
  lastEventAt: number;
  /** Events that arrived before the order's OrderCreated (what counting reads of them), with their event time: counted when it arrives. */
  held?: Array<[CountedFact, number]>;
}

export interface WindowReport {
  readonly start: string;
  readonly orders: number;
  readonly completed: number;
  readonly cancelled: number;
  readonly revenue: number;
  readonly refunded: number;
  /** Closed: no event can change it any more. */
  readonly final: boolean;
}

export interface StreamFigures {
  readonly counters: Counters;
  readonly ordersPerMinute: number[];
  readonly ordersLastMinute: number;
  readonly hourlyTotals: WindowReport[];
  readonly sagaDurationMs: DurationSummary;
  readonly lateEventsDropped: number;
  /** Events whose time was too far in the future (beyond maxClockSkewMs), counted at the time they were read. */
  readonly futureEventsClamped: number;
  readonly gracePeriodMs: number;
  readonly eventsProcessed: number;
  readonly trackedOrders: number;
}

/** Order tracks to write (changed, each as its JSON text) and to delete (forgotten) in the next snapshot. */
export interface OrderChanges {
  readonly changed: Array<[string, string]>;
  readonly forgotten: string[];
}

/** What a snapshot holds: everything but the order tracks, which are saved incrementally. */
export interface AggregateSnapshot {
  counters: Record<string, number>;
  minutes: Array<[number, WindowFigures]>;
  hours: Array<[number, WindowFigures]>;
  seconds: Array<[number, number]>;
  durations: Array<[number, number]>;
  streamTime: number;
  partitionTimes: Array<[string, number]>;
  closedUpTo: number;
  lateEventsDropped: number;
  /** Absent in snapshots saved before it existed. */
  futureEventsClamped?: number;
  eventsProcessed: number;
}

export const MINUTES_REPORTED = 60;
export const HOURS_REPORTED = 24;
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const EVENT_BITS: Record<SagaFact['type'], number> = {
  OrderCreated: 1,
  PaymentCompleted: 2,
  PaymentFailed: 4,
  PaymentRefunded: 8,
  InventoryReserved: 16,
  InventoryFailed: 32,
  InventoryReleased: 64,
  OrderCompleted: 128,
  OrderCancelled: 256,
};

const emptyFigures = (): WindowFigures => ({ orders: 0, completed: 0, cancelled: 0, revenueCents: 0, refundedCents: 0 });

export class StreamAggregator {
  private counters: Record<string, number> = {};
  private readonly minutes: TumblingWindows<WindowFigures>;
  private readonly hours: TumblingWindows<WindowFigures>;
  /** Orders created per second, for the sliding last-60-seconds count. */
  private readonly seconds = new TumblingWindows<{ orders: number }>(1000, MINUTE, MINUTE, () => ({ orders: 0 }));
  private readonly durations = new DurationHistogram();
  private readonly orders = new Map<string, OrderTrack>();
  private oldest = this.orders.keys();
  private readonly changedOrders = new Set<string>();
  private readonly forgottenOrders = new Set<string>();
  /** Tracks a snapshot has taken (or that were restored): only these have a row to delete once forgotten. */
  private readonly savedOrders = new Set<string>();
  /** The newest event time seen overall: ages the order tracks. */
  private streamTime = 0;
  /** The newest event time seen on each partition: the watermark is their minimum, idle partitions aside. */
  private readonly partitionTimes = new Map<string, number>();
  /** Since when (wall clock) each partition has had nothing unread, and those idle for idleTimeoutMs. */
  private readonly idleSince = new Map<string, number>();
  private readonly idle = new Set<string>();
  /** The oldest of the partitions' times, idle ones aside (0 if none), as last computed; stale once a change may have moved it. */
  private watermark = 0;
  private watermarkStale = true;
  /** The latest time windows have been closed at: it only moves forward. */
  private closedUpTo = 0;
  private lateEventsDropped = 0;
  private futureEventsClamped = 0;
  private eventsProcessed = 0;

  constructor(private readonly settings: StreamSettings) {
    this.minutes = new TumblingWindows(MINUTE, settings.graceMs, MINUTES_REPORTED * MINUTE, emptyFigures);
    this.hours = new TumblingWindows(HOUR, settings.graceMs, HOURS_REPORTED * HOUR, emptyFigures);
  }

  /**
   * Folds one event in. `wallClock` is the current time when the stream is caught
   * up (windows then close on wall-clock time too), or null while replaying a
   * backlog, when only event time may close a window.
   * `source` names the partition the event came from. `readAt`, when given, is when the
   * event was read: an event time beyond it by more than maxClockSkewMs (a producer
   * with a wrong clock, a crafted message) is taken as `readAt`, so that it cannot move
   * stream time forward and make every tracked order look forgotten.
   * Returns false for a copy of an event the order already had.
   */
  apply(event: SagaFact, wallClock: number | null, source = 'default', readAt?: number): boolean {
    let at = Date.parse(event.occurredAt);
    const clamped = readAt !== undefined && at > readAt + this.settings.maxClockSkewMs;
    if (clamped) at = readAt;
    const track = this.track(event.correlationId, at);
    const bit = EVENT_BITS[event.type];
    if (track.seen & bit) return false;
    track.seen |= bit;
    this.changedOrders.add(event.correlationId);

    if (clamped) this.futureEventsClamped++;
    // A partition's first event sets its time before the check: nothing is known to be later on it yet.
    const previous = this.partitionTimes.get(source);
    if (previous === undefined || at > previous) {
      this.partitionTimes.set(source, at);
      // Only the partition that held the watermark (or a new one) can move it.
      if (previous === undefined || previous <= this.watermark) this.watermarkStale = true;
    }
    if (this.idle.delete(source)) this.watermarkStale = true;
    this.idleSince.delete(source);
    this.streamTime = Math.max(this.streamTime, at);
    this.eventsProcessed++;
    if (event.type !== 'OrderCreated' && track.createdAt === null) {
      (track.held ??= []).push([countedPart(event), at]);
      return true;
    }
    this.count(track, event, at, this.clock(wallClock));
    if (event.type === 'OrderCreated') this.release(track, wallClock);
    return true;
  }

  /** Orders in the join/de-duplication state. */
  get trackedOrders(): number {
    return this.orders.size;
  }

  /**
   * Names the partitions that still hold unread events. One not heard from yet holds
   * the watermark back until its first event: it may carry the oldest events of all.
   * One that has nothing left to read stops holding it back.
   */
  expectPartitions(pending: readonly string[], now: number): void {
    const waiting = new Set(pending);
    for (const [source, time] of this.partitionTimes) {
      if (time === Number.NEGATIVE_INFINITY && !waiting.has(source)) this.partitionTimes.delete(source);
    }
    for (const source of waiting) if (!this.partitionTimes.has(source)) this.partitionTimes.set(source, Number.NEGATIVE_INFINITY);
    // Nothing unread for idleTimeoutMs: idle, until its next event.
    this.idle.clear();
    for (const source of this.partitionTimes.keys()) {
      if (waiting.has(source)) this.idleSince.delete(source);
      else if (!this.idleSince.has(source)) this.idleSince.set(source, now);
      if (now - (this.idleSince.get(source) ?? now) >= this.settings.idleTimeoutMs) this.idle.add(source);
    }
    this.watermarkStale = true;
  }

  /** Drops windows and order tracks that no report needs any more. */
  expire(wallClock: number | null): void {
    // The newest event time too: while the watermark is held back, windows older than any report shows still go.
    const clock = Math.max(this.clock(wallClock), this.streamTime);
    this.minutes.expire(clock);
    this.hours.expire(clock);
    this.seconds.expire(clock);
    for (const [orderId, track] of this.orders) {
      if (this.orders.size <= this.settings.maxTrackedOrders && track.lastEventAt >= this.streamTime - this.settings.orderTtlMs) break;
      this.forget(orderId);
    }
  }

  report(now: number, wallClockCloses: boolean): StreamFigures {
    const clock = this.clock(wallClockCloses ? now : null);
    return {
      counters: { ...this.counters },
      ordersPerMinute: this.minutes.last(MINUTES_REPORTED, now).map(({ value }) => value.orders),
      ordersLastMinute: this.seconds.last(60, now).reduce((sum, { value }) => sum + value.orders, 0),
      hourlyTotals: this.hours.last(HOURS_REPORTED, now).map(({ start, value }) => ({
        start: new Date(start).toISOString(),
        orders: value.orders,
        completed: value.completed,
        cancelled: value.cancelled,
        revenue: value.revenueCents / 100,
        refunded: value.refundedCents / 100,
        final: this.hours.isClosed(start, clock),
      })),
      sagaDurationMs: this.durations.summary(),
      lateEventsDropped: this.lateEventsDropped,
      futureEventsClamped: this.futureEventsClamped,
      gracePeriodMs: this.settings.graceMs,
      eventsProcessed: this.eventsProcessed,
      trackedOrders: this.orders.size,
    };
  }

  snapshot(): AggregateSnapshot {
    return {
      counters: { ...this.counters },
      minutes: this.minutes.toJSON(),
      hours: this.hours.toJSON(),
      seconds: this.seconds.toJSON().map(([start, { orders }]) => [start, orders]),
      durations: this.durations.toJSON(),
      streamTime: this.streamTime,
      partitionTimes: [...this.partitionTimes].filter(([, time]) => Number.isFinite(time)),
      closedUpTo: this.closedUpTo,
      lateEventsDropped: this.lateEventsDropped,
      futureEventsClamped: this.futureEventsClamped,
      eventsProcessed: this.eventsProcessed,
    };
  }

  /** Order tracks changed and forgotten since the last call: what a snapshot must write. They count as saved from now on. */
  takeOrderChanges(): OrderChanges {
    const changed = [...this.changedOrders].flatMap((id) => {
      const track = this.orders.get(id);
      if (track) this.savedOrders.add(id);
      // Its text now (held events included): what is saved must not change with the events applied while it is being saved.
      return track ? [[id, JSON.stringify(track)] as [string, string]] : [];
    });
    const forgotten = [...this.forgottenOrders];
    this.changedOrders.clear();
    this.forgottenOrders.clear();
    return { changed, forgotten };
  }

  /** The snapshot holding these changes could not be written: the next one must write them. */
  returnOrderChanges({ changed, forgotten }: OrderChanges): void {
    for (const [id] of changed) if (this.orders.has(id)) this.changedOrders.add(id);
    for (const id of forgotten) if (!this.orders.has(id)) this.forgottenOrders.add(id);
  }

  restore(snapshot: AggregateSnapshot, orders: Array<[string, OrderTrack]>): void {
    this.counters = { ...snapshot.counters };
    this.minutes.restore(snapshot.minutes);
    this.hours.restore(snapshot.hours);
    this.seconds.restore(snapshot.seconds.map(([start, count]) => [start, { orders: count }]));
    this.durations.restore(snapshot.durations);
    this.streamTime = snapshot.streamTime;
    this.partitionTimes.clear();
    for (const [source, time] of snapshot.partitionTimes) this.partitionTimes.set(source, time);
    this.watermarkStale = true;
    this.closedUpTo = snapshot.closedUpTo;
    this.lateEventsDropped = snapshot.lateEventsDropped;
    this.futureEventsClamped = snapshot.futureEventsClamped ?? 0;
    this.eventsProcessed = snapshot.eventsProcessed;
    this.orders.clear();
    this.savedOrders.clear();
    for (const [id, track] of [...orders].sort((a, b) => a[1].lastEventAt - b[1].lastEventAt)) {
      this.orders.set(id, track);
      this.savedOrders.add(id);
    }
  }

  /**
   * The time windows close on: the watermark, or the wall clock when it is later and
   * may be used, and never earlier than a time windows were already closed at.
   */
  private clock(wallClock: number | null): number {
    if (this.watermarkStale) {
      let oldest = Infinity;
      this.partitionTimes.forEach((time, source) => {
        if (time < oldest && !this.idle.has(source)) oldest = time;
      });
      this.watermark = Number.isFinite(oldest) ? oldest : 0;
      this.watermarkStale = false;
    }
    this.closedUpTo = Math.max(this.closedUpTo, this.watermark, wallClock ?? 0);
    return this.closedUpTo;
  }

  /** Counts an event: lifetime totals, windows, and the saga duration join. */
  private count(track: OrderTrack, event: CountedFact, at: number, clock: number): void {
    for (const [name, delta] of countersFor(event)) this.counters[name] = (this.counters[name] ?? 0) + delta;
    this.addToWindows(event, at, clock);
    this.joinDuration(track, event, at);
  }

  /** Counts what the order held back for its OrderCreated, in the order it arrived. */
  private release(track: OrderTrack, wallClock: number | null): void {
    const held = track.held ?? [];
    track.held = undefined; // not `delete`: that would turn the track into a slow dictionary object
    for (const [event, at] of held) this.count(track, event, at, this.clock(wallClock));
  }

  private addToWindows(event: CountedFact, at: number, clock: number): void {
    const figure = windowFigure(event);
    if (!figure) return;
    if (this.minutes.isClosed(at, clock)) {
      this.lateEventsDropped++;
      return;
    }
    const amount = event.type === 'PaymentCompleted' || event.type === 'PaymentRefunded' ? event.payload.amountCents : 1;
    // An hour closes after its minutes: open while the minute is.
    this.minutes.open(at, clock)![figure] += amount;
    this.hours.open(at, clock)![figure] += amount;
    const second = event.type === 'OrderCreated' ? this.seconds.open(at, clock) : undefined;
    if (second) second.orders++;
  }

  private joinDuration(track: OrderTrack, event: CountedFact, at: number): void {
    if (event.type === 'OrderCreated') track.createdAt = at;
    else if (event.type === 'OrderCompleted' || event.type === 'OrderCancelled') track.finishedAt = at;
    else return;
    if (track.createdAt !== null && track.finishedAt !== null) this.durations.record(track.finishedAt - track.createdAt);
  }

  /** The order's track, moved to the back of the map (most recently heard of). */
  private track(orderId: string, at: number): OrderTrack {
    const track = this.orders.get(orderId) ?? { createdAt: null, finishedAt: null, seen: 0, lastEventAt: at };
    track.lastEventAt = Math.max(track.lastEventAt, at);
    this.orders.delete(orderId);
    this.orders.set(orderId, track);
    // Back before its row was deleted: the row stays, and is written over.
    if (this.forgottenOrders.delete(orderId)) this.savedOrders.add(orderId);
    if (this.orders.size > this.settings.maxTrackedOrders) this.forget(this.oldestOrder());
    return track;
  }

  /**
   * The order heard of least recently: the first key of `orders`. Read with one iterator kept
   * from call to call, since a new one would step over every entry deleted from the front
   * since the map was last compacted (each order moved to the back leaves one): thousands
   * per event, the largest cost of an event during a replay. A map iterator stays valid while the
   * map changes and sees what is added at the back; a fresh one is made if it ever runs out.
   */
  private oldestOrder(): string {
    let next = this.oldest.next();
    if (next.done) {
      this.oldest = this.orders.keys();
      next = this.oldest.next();
    }
    return next.value!;
  }

  private forget(orderId: string): void {
    // Its OrderCreated will not come (gone from the topic, or never published): what it held counts now.
    const track = this.orders.get(orderId);
    if (track?.held) this.release(track, null);
    this.orders.delete(orderId);
    this.changedOrders.delete(orderId);
    // A track no snapshot took has no row: nothing to delete (a backlog passes most orders through between two snapshots).
    if (this.savedOrders.delete(orderId)) this.forgottenOrders.add(orderId);
  }
}

/** The windowed figure an event adds to (its amount, or 1), if it adds to one. */
function windowFigure(event: CountedFact): keyof WindowFigures | null {
  switch (event.type) {
    case 'OrderCreated':
      return 'orders';
    case 'OrderCompleted':
      return 'completed';
    case 'OrderCancelled':
      return 'cancelled';
    case 'PaymentCompleted':
      return 'revenueCents';
    case 'PaymentRefunded':
      return 'refundedCents';
    default:
      return null;
  }
}

/**
 * One snapshot of the whole stream from the snapshots of its partitions (each
 * instance aggregates the partitions the consumer group gave it): counts add up,
 * window by window and bucket by bucket; a window is closed only where every
 * partition has closed it.
 */
export function mergeSnapshots(snapshots: readonly AggregateSnapshot[]): AggregateSnapshot {
  const sum = <K>(entries: Iterable<[K, number]>): Array<[K, number]> => {
    const totals = new Map<K, number>();
    for (const [key, value] of entries) totals.set(key, (totals.get(key) ?? 0) + value);
    return [...totals];
  };
  const sumWindows = (pick: (snapshot: AggregateSnapshot) => Array<[number, WindowFigures]>): Array<[number, WindowFigures]> => {
    const totals = new Map<number, WindowFigures>();
    for (const [start, figures] of snapshots.flatMap(pick)) {
      const total = totals.get(start) ?? emptyFigures();
      for (const key of Object.keys(figures) as Array<keyof WindowFigures>) total[key] += figures[key];
      totals.set(start, total);
    }
    return [...totals];
  };
  return {
    counters: Object.fromEntries(sum(snapshots.flatMap((snapshot) => Object.entries(snapshot.counters)))),
    minutes: sumWindows((snapshot) => snapshot.minutes),
    hours: sumWindows((snapshot) => snapshot.hours),
    seconds: sum(snapshots.flatMap((snapshot) => snapshot.seconds)),
    durations: sum(snapshots.flatMap((snapshot) => snapshot.durations)),
    streamTime: Math.max(0, ...snapshots.map((snapshot) => snapshot.streamTime)),
    partitionTimes: snapshots.flatMap((snapshot) => snapshot.partitionTimes),
    closedUpTo: snapshots.length === 0 ? 0 : Math.min(...snapshots.map((snapshot) => snapshot.closedUpTo)),
    lateEventsDropped: snapshots.reduce((total, snapshot) => total + snapshot.lateEventsDropped, 0),
    futureEventsClamped: snapshots.reduce((total, snapshot) => total + (snapshot.futureEventsClamped ?? 0), 0),
    eventsProcessed: snapshots.reduce((total, snapshot) => total + snapshot.eventsProcessed, 0),
  };
}
