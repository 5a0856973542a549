/**
 * Tumbling event-time windows (fixed size, no overlap) keyed by their start time.
 * A window accepts events until it closes: at its end plus the grace period, measured
 * on the clock the caller passes (the stream's watermark, or the wall clock while
 * the stream is caught up). Windows older than `retainMs` are dropped, so memory
 * stays flat however long the stream runs.
 */
export class TumblingWindows<V> {
  private readonly windows = new Map<number, V>();

  constructor(
    readonly sizeMs: number,
    private readonly graceMs: number,
    private readonly retainMs: number,
    private readonly empty: () => V,
  ) {}

  startOf(time: number): number {
    return time - (time % this.sizeMs);
  }

  /** Whether the window holding `eventTime` has closed at `clock`. */
  isClosed(eventTime: number, clock: number): boolean {
    return this.startOf(eventTime) + this.sizeMs + this.graceMs <= clock;
  }

  /** The window holding `eventTime`, made if it is not there yet; undefined if it already closed. */
  open(eventTime: number, clock: number): V | undefined {
    if (this.isClosed(eventTime, clock)) return undefined;
    const start = this.startOf(eventTime);
    let window = this.windows.get(start);
    if (!window) {
      window = this.empty();
      this.windows.set(start, window);
    }
    return window;
  }

  get(start: number): V | undefined {
    return this.windows.get(start);
  }

  /** The `count` windows ending with the one that holds `time`, oldest first (empty ones included). */
  last(count: number, time: number): Array<{ start: number; value: V }> {
    const newest = this.startOf(time);
    return Array.from({ length: count }, (_, index) => {
      const start = newest - (count - 1 - index) * this.sizeMs;
      return { start, value: this.windows.get(start) ?? this.empty() };
    });
  }

  /** Forgets windows that ended more than `retainMs` before `clock`. */
  expire(clock: number): void {
    for (const start of this.windows.keys()) {
      if (start + this.sizeMs + this.retainMs < clock) this.windows.delete(start);
    }
  }

  get size(): number {
    return this.windows.size;
  }

  /** A copy: a snapshot taken now must not change with the events applied while it is being saved. */
  toJSON(): Array<[number, V]> {
    return [...this.windows].map(([start, value]) => [start, structuredClone(value)]);
  }

  restore(entries: Array<[number, V]>): void {
    this.windows.clear();
    for (const [start, value] of entries) this.windows.set(start, value);
  }
}
