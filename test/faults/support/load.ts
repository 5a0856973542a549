import { request as httpRequest, Agent } from 'node:http';
import { sleep } from '../../e2e/support/saga-system.js';

/** How a client's POST ended, before any retry. */
export type Outcome = 'accepted' | 'replayed' | 'refused' | 'cut-off' | '503' | '5xx' | '4xx' | 'timeout';

export interface LoadOptions {
  /** Orders to post. */
  readonly orders: number;
  /** Spread them evenly over this long (a steady rate of orders / durationMs). */
  readonly durationMs: number;
  /** Where to post: the order-service URLs; order n goes to the n-th (round robin), a retry to the next one. */
  readonly urls: () => string[];
  /** Idempotency keys are `${keyPrefix}${n}`: unique per system. */
  readonly keyPrefix: string;
  /** A client retries one order (same Idempotency-Key) for this long when the service is down, cuts it off or answers 503. */
  readonly retryForMs?: number;
}

export interface PostRecord {
  readonly n: number;
  readonly key: string;
  orderId?: string;
  /** The outcome of every attempt, in order. */
  readonly attempts: Outcome[];
  readonly postedAt: number;
  acceptedAt?: number;
}

// No keep-alive: a request on an idle socket the server has just closed would look cut off when it never arrived.
const agent = new Agent({ keepAlive: false, maxSockets: 64 });

/**
 * A steady stream of valid orders from a client that behaves well: every order has its
 * own Idempotency-Key and is retried with it while the service is down, cuts the request
 * off or answers 503, so that a crash of order-service loses no order and doubles none.
 * At the default failure rates of 0, every accepted order must complete.
 */
export class Load {
  readonly records: PostRecord[] = [];
  readonly done: Promise<void>;
  private stopped = false;

  constructor(private readonly options: LoadOptions) {
    this.done = this.run();
  }

  get posted(): number {
    return this.records.length;
  }

  /** Whether `order` (user and items, as GET /orders/:id shows them) is the body of one of the orders this load posted. */
  mayHavePlaced(order: { userId: string; items: ReadonlyArray<{ productId: string; quantity: number; price: number }> }): boolean {
    const shown = JSON.stringify({
      userId: order.userId,
      items: order.items.map(({ productId, quantity, price }) => ({ productId, quantity, price })),
    });
    for (let n = 0; n < this.posted; n++) if (JSON.stringify(orderBody(n)) === shown) return true;
    return false;
  }

  /** Resolves once at least `count` orders have been posted (not necessarily answered). */
  async untilPosted(count: number): Promise<void> {
    while (this.records.length < Math.min(count, this.options.orders) && !this.stopped) await sleep(20);
  }

  /** Resolves once `fraction` of the orders have been posted. */
  untilFraction(fraction: number): Promise<void> {
    return this.untilPosted(Math.ceil(this.options.orders * fraction));
  }

  accepted(): string[] {
    return this.records.flatMap((record) => (record.orderId ? [record.orderId] : []));
  }

  /** Orders whose 201 was cut off: an attempt failed, and the retry found the order already made (Idempotent-Replayed). */
  cutOffAfterCommit(): number {
    return this.records.filter((record) => record.attempts.at(-1) === 'replayed').length;
  }

  /** Attempts that ended in the given way, over every order. */
  count(outcome: Outcome): number {
    return this.records.reduce((sum, record) => sum + record.attempts.filter((attempt) => attempt === outcome).length, 0);
  }

  private async run(): Promise<void> {
    const { orders, durationMs } = this.options;
    const started = performance.now();
    const inFlight: Array<Promise<void>> = [];
    for (let n = 0; n < orders; n++) {
      const due = started + (durationMs * n) / orders;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      inFlight.push(this.post(n));
    }
    await Promise.all(inFlight);
    this.stopped = true;
  }

  private async post(n: number): Promise<void> {
    const record: PostRecord = { n, key: `${this.options.keyPrefix}${n}`, attempts: [], postedAt: Date.now() };
    this.records.push(record);
    const body = JSON.stringify(orderBody(n));
    const giveUpAt = Date.now() + (this.options.retryForMs ?? 90_000);
    for (let attempt = 0; Date.now() < giveUpAt; attempt++) {
      const urls = this.options.urls();
      const url = `${urls[(n + attempt) % urls.length]}/orders`;
      const { outcome, orderId } = await postOnce(url, body, record.key);
      record.attempts.push(outcome);
      if (orderId) {
        record.orderId = orderId;
        record.acceptedAt = Date.now();
        return;
      }
      if (outcome === '4xx') return; // a valid order never gets one: counted, not retried
      await sleep(Math.min(1_000, 100 * 2 ** Math.min(attempt, 4)));
    }
  }
}

/** Orders of one or two products at prices with cents, quantities 1-3; the server computes the total. */
export function orderBody(n: number) {
  const items = [{ productId: `prod-${(n % 3) + 1}`, quantity: (n % 3) + 1, price: 10 + (n % 7) + 0.25 }];
  if (n % 4 === 0) items.push({ productId: `prod-${((n + 1) % 3) + 1}`, quantity: 1, price: 4.99 });
  return { userId: `load-user-${n % 17}`, items };
}

function postOnce(url: string, body: string, key: string): Promise<{ outcome: Outcome; orderId?: string }> {
  return new Promise((done) => {
    const req = httpRequest(
      url,
      {
        method: 'POST',
        agent,
        timeout: 30_000,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'idempotency-key': key },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', () => done({ outcome: 'cut-off' }));
        res.on('aborted', () => done({ outcome: 'cut-off' }));
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          if (status === 201) {
            try {
              const { orderId } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { orderId: string };
              done({ outcome: res.headers['idempotent-replayed'] === 'true' ? 'replayed' : 'accepted', orderId });
            } catch {
              done({ outcome: 'cut-off' }); // a 201 whose body did not arrive whole
            }
          } else done({ outcome: status === 503 ? '503' : status >= 500 ? '5xx' : '4xx' });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (error.message === 'timeout') done({ outcome: 'timeout' });
      // Nothing listens (the service is down): the request never reached it.
      else if (error.code === 'ECONNREFUSED') done({ outcome: 'refused' });
      else done({ outcome: 'cut-off' });
    });
    req.end(body);
  });
}
