import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

import type { Socket } from 'node:net';
import type { BeforeApplicationShutdown } from '@nestjs/common';

/** How long no request may have come down a keep-alive connection before the server closes them. */
export const DRAIN_QUIET_MS = 200;
/** The longest that wait lasts, however busy the clients are. */
export const DRAIN_QUIET_MAX_MS = 2_000;

/**
 * The first step of an orderly shutdown. Once it begins, nothing new starts: HTTP
 * requests get 503 (the client retries elsewhere or later, nothing was done) and
 * background work (the saga-timeout sweep) is skipped; `begin()` resolves when the
 * requests and the work already in progress are done, so a 201 that was committed
 * is also delivered before the consumer stops and the outbox is flushed.
 */
export class Drain implements BeforeApplicationShutdown {
  private draining = false;
  private deadline = 0;
  private readonly inProgress = new Set<Promise<unknown>>();
  private readonly responses = new Set<ServerResponse>();
  /** Connections that carried a request before the drain: kept alive, a request may be on its way down them. */
  private readonly keptAlive = new WeakSet<Socket>();
  private lastRequestAt = 0;

  get started(): boolean {
    return this.draining;
  }

  /** Runs `work` and lets shutdown wait for it; skipped (undefined) once the drain began. */
  async run<T>(work: () => Promise<T>): Promise<T | undefined> {
    if (this.draining) return undefined;
    const running = work();
    this.inProgress.add(running);
    try {
      return await running;
    } finally {
      this.inProgress.delete(running);
    }
  }

  /** Express middleware: 503 once draining, and every request in progress is waited for. A server-sent events stream is not. */
  readonly middleware = (request: IncomingMessage, response: ServerResponse, next: () => void): void => {
    if (this.draining) {
      // A new connection is closed after this answer anyway; only the old ones can hold a request unread.
      if (this.keptAlive.has(request.socket)) this.lastRequestAt = Date.now();
      response.writeHead(503, { 'Content-Type': 'application/json; charset=utf-8', Connection: 'close', 'Retry-After': '1' });
      response.end(
        JSON.stringify({ statusCode: 503, error: 'Service Unavailable', message: 'the service is shutting down; retry shortly' }),
      );
      return;
    }
    this.keptAlive.add(request.socket);
    if (request.headers.accept !== 'text/event-stream') {
      this.responses.add(response);
      void this.run(() => new Promise<void>((done) => response.once('close', done))).finally(() => this.responses.delete(response));
    }
    next();
  };

  /** Stops new requests and work; resolves when what was in progress finished, or at `deadline` (epoch ms). */
  async begin(deadline: number): Promise<void> {
    this.draining = true;
    this.deadline = deadline;
    this.lastRequestAt = Date.now();
    // The answers still to come end their connection: no client sends another request down it.
    for (const response of this.responses) if (!response.headersSent) response.setHeader('Connection', 'close');
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((done) => (timer = setTimeout(done, Math.max(0, deadline - Date.now()))));
    await Promise.race([Promise.allSettled([...this.inProgress]), timeout]);
    clearTimeout(timer);
  }

  /**
   * Resolves once no request has arrived for `quietMs`, or at `deadline`; only then may the
   * server close its keep-alive connections. A connection counts as idle while a request
   * sent down it waits unread (a busy process reads late), and closing it then resets that
   * request: the client cannot tell whether it was taken. So each check first lets the
   * event loop read what arrived, and every request read meanwhile gets its 503.
   */
  async quiet(deadline: number, quietMs = DRAIN_QUIET_MS): Promise<void> {
    deadline = Math.min(deadline, Date.now() + DRAIN_QUIET_MAX_MS);
    for (;;) {
      const wait = Math.min(this.lastRequestAt + quietMs, deadline) - Date.now();
      if (wait > 0) await sleep(wait);
      await new Promise(setImmediate); // after the poll phase: the sockets have been read
      const now = Date.now();
      if (now >= deadline || now - this.lastRequestAt >= quietMs) return;
    }
  }

  /** Nest calls this in `app.close()` before it closes the HTTP server: the last moment to let requests on their way arrive. */
  async beforeApplicationShutdown(): Promise<void> {
    if (this.draining) await this.quiet(this.deadline);
  }
}
