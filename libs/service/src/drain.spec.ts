import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
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
  writeHead(code: number, headers: Record<string, string>): void {
    this.statusCode = code;
    for (const [name, value] of Object.entries(headers)) this.setHeader(name, value);
    this.headersSent = true;
  }
  end(body: string): void {
    this.body = JSON.parse(body);
    this.headersSent = true;
    this.emit('close');
  }
}

/** A request and its response; `socket`: its connection (a new one unless given). */
function exchange(accept = 'application/json', socket: object = {}) {
  const response = new FakeResponse();
  const request = { headers: { accept }, socket };
  return { request: request as unknown as IncomingMessage, response, asResponse: response as unknown as ServerResponse };
}

function busyFor(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until); // the event loop reads nothing meanwhile
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

    inFlight.response.end(JSON.stringify({ orderId: 'o-1' }));
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

  it('answers 503 to a request that waited unread on a keep-alive connection while the process was busy, never a reset', async () => {
    const drain = new Drain();
    const server = createServer((request, response) => drain.middleware(request, response, () => response.end('taken')));
    await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
    const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
    let received = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (received += chunk));
    const closed = new Promise<string>((done, fail) => {
      socket.once('error', fail);
      socket.once('close', () => done(received));
    });
    const post = 'POST /orders HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n';
    socket.write(post);
    while (!received.includes('taken')) await new Promise((done) => setTimeout(done, 5));

    socket.write(post); // the client's next request, on the same connection...
    busyFor(100); // ...reaches a process that cannot read it yet: to the server, the connection looks idle
    const deadline = Date.now() + 5_000;
    await drain.begin(deadline);
    await drain.beforeApplicationShutdown(); // what app.close() calls before it closes the server
    await new Promise((done) => server.close(done));

    const answers = await closed;
    expect(answers.match(/HTTP\/1\.1 \d+/g)).toEqual(['HTTP/1.1 200', 'HTTP/1.1 503']);
    expect(answers).toMatch(/connection: close/i);
  });

  it('waits until no request came down a kept-alive connection for a while, and not past the deadline', async () => {
    const drain = new Drain();
    const connection = {};
    const before = exchange('application/json', connection);
    drain.middleware(before.request, before.asResponse, () => before.response.end('{}'));
    // Quiet is counted from the last request, at the latest `begin`: read the clock before it, not after (a busy
    // machine can take milliseconds to come back from `begin`, and the quiet wait is then shorter from there).
    const started = Date.now();
    await drain.begin(Date.now() + 1_000);
    await drain.quiet(Date.now() + 1_000, 50);
    expect(Date.now() - started).toBeGreaterThanOrEqual(50);

    const request = () => {
      const late = exchange('application/json', connection);
      drain.middleware(late.request, late.asResponse, () => undefined);
    };
    request();
    const stillComing = setInterval(request, 10);
    try {
      const deadline = Date.now() + 150;
      await drain.quiet(deadline, 50);
      expect(Date.now()).toBeGreaterThanOrEqual(deadline);
    } finally {
      clearInterval(stillComing);
    }
  });

  it('does not wait for requests on connections opened during the drain: each is closed after its 503', async () => {
    const drain = new Drain();
    await drain.begin(Date.now() + 5_000);
    const fresh = () => {
      const late = exchange(); // a new connection each time
      drain.middleware(late.request, late.asResponse, () => undefined);
      expect(late.response.headers.connection).toBe('close');
    };
    const stillComing = setInterval(fresh, 10);
    try {
      const started = Date.now();
      await drain.quiet(Date.now() + 5_000, 50);
      expect(Date.now() - started).toBeLessThan(1_000);
    } finally {
      clearInterval(stillComing);
    }
  });
});
