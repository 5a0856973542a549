import { EventEmitter } from 'node:events';
import type { Request, Response } from 'express';
import { Drain } from './drain.js';

/** Just enough of an Express request/response pair for the middleware. */
class FakeResponse extends EventEmitter {
  headers: Record<string, string> = {};
  headersSent = false;
  statusCode = 200;
  body: unknown;

  setHeader(name: string, value: string): void {
    this.headers[name.toLowerCase()] = value;
  }
  status(code: number): this {
    this.statusCode = code;
    return this;
  }
  json(body: unknown): void {
    this.body = body;
    this.headersSent = true;
    this.emit('close');
  }
}

function exchange(accept = 'application/json') {
  const response = new FakeResponse();
  const request = { headers: { accept } };
  return { request: request as unknown as Request, response, asResponse: response as unknown as Response };
}

describe('Drain', () => {
  it('lets requests through until it begins, then answers 503 with Connection: close', () => {
    const drain = new Drain();
    let calls = 0;
    const next = () => void calls++;
    const before = exchange();
    drain.middleware(before.request, before.asResponse, next);
    expect(calls).toBe(1);

    void drain.begin(Date.now() + 1_000);
    const after = exchange();
    drain.middleware(after.request, after.asResponse, next);
    expect(calls).toBe(1);
    expect(after.response.statusCode).toBe(503);
    expect(after.response.headers).toMatchObject({ connection: 'close', 'retry-after': '1' });
  });

  it('waits for the requests and the work in progress, and ends their connections', async () => {
    const drain = new Drain();
    const inFlight = exchange();
    drain.middleware(inFlight.request, inFlight.asResponse, () => undefined);
    let finishWork!: () => void;
    void drain.run(() => new Promise<void>((done) => (finishWork = done)));

    let drained = false;
    const begun = drain.begin(Date.now() + 5_000).then(() => (drained = true));
    await new Promise((done) => setImmediate(done));
    expect(drained).toBe(false);
    expect(inFlight.response.headers.connection).toBe('close');
    expect(await drain.run(() => Promise.resolve('too late'))).toBeUndefined();

    inFlight.response.json({ orderId: 'o-1' });
    finishWork();
    await begun;
    expect(drained).toBe(true);
  });

  it('does not wait for a server-sent events stream, and not past the deadline', async () => {
    const drain = new Drain();
    const stream = exchange('text/event-stream');
    drain.middleware(stream.request, stream.asResponse, () => undefined);
    void drain.run(() => new Promise<void>(() => undefined)); // never ends

    await expect(drain.begin(Date.now() + 100)).resolves.toBeUndefined();
  });
});
