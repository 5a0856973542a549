// The load: POST /orders at a constant arrival rate (open loop) or from N clients that each
// wait for their answer (closed loop), over node:http with keep-alive.
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { summarize } from './stats.mjs';

const REQUEST_TIMEOUT_MS = 15_000;

/** The order every POST carries: one unit of a product whose stock never runs out. */
export const ORDER = Object.freeze({ userId: 'bench', items: [{ productId: 'prod-1', quantity: 1, price: 25 }] });

/**
 * POSTs to `baseUrl` over kept-alive connections. Idle sockets are closed after 4 s, before
 * the servers' 5 s keep-alive timeout, so no request goes out on a socket the server is closing.
 */
export class HttpClient {
  constructor(baseUrl, { maxSockets = 256 } = {}) {
    const url = new URL(baseUrl);
    this.host = url.hostname;
    this.port = Number(url.port);
    this.agent = new http.Agent({ keepAlive: true, maxSockets, timeout: 4_000, scheduling: 'fifo' });
  }

  /** Resolves to `{ status, body }`, or `{ status: 0, error }` when no answer came (never rejects). */
  post(path, body) {
    const payload = Buffer.from(JSON.stringify(body));
    return new Promise((resolve) => {
      const request = http.request(
        {
          host: this.host,
          port: this.port,
          path,
          method: 'POST',
          agent: this.agent,
          headers: { 'content-type': 'application/json', 'content-length': payload.length },
        },
        (response) => {
          const chunks = [];
          response.on('data', (chunk) => chunks.push(chunk));
          response.on('end', () => resolve({ status: response.statusCode, body: Buffer.concat(chunks).toString('utf8') }));
          response.on('error', (error) => resolve({ status: 0, error: error.code ?? error.message }));
        },
      );
      request.setTimeout(REQUEST_TIMEOUT_MS, () => request.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
      request.on('error', (error) => resolve({ status: 0, error: error.code ?? error.message }));
      request.end(payload);
    });
  }

  close() {
    this.agent.destroy();
  }
}

/**
 * Open loop: request i is due at start + i / rate, whatever happened to the ones before it
 * (no coordinated omission: a slow answer delays no later request). `send(scheduledAt)` fires
 * one request; this resolves once every request is answered, with the schedule it kept.
 */
export async function openLoop({ rate, durationMs, send }) {
  const count = Math.max(1, Math.round((rate * durationMs) / 1000));
  const interval = 1000 / rate;
  const start = performance.now() + 5;
  const inFlight = [];
  let i = 0;
  while (i < count) {
    const now = performance.now();
    for (; i < count && start + i * interval <= now; i++) inFlight.push(send(start + i * interval));
    if (i < count) await sleep(Math.max(0, start + i * interval - performance.now()));
  }
  await Promise.all(inFlight);
  return { count, start, end: start + (count - 1) * interval };
}

/**
 * Closed loop: `concurrency` clients, each sending its next request when the last is answered,
 * for `durationMs`. `send()` resolves to true when the request was accepted.
 */
export async function closedLoop({ concurrency, durationMs, send }) {
  const latencies = [];
  let errors = 0;
  const started = performance.now();
  const end = started + durationMs;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const sentAt = performance.now();
        if (await send(sentAt)) latencies.push(performance.now() - sentAt);
        else errors++;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return {
    concurrency,
    seconds: round1(seconds),
    accepted: latencies.length,
    errors,
    perSecond: Math.round(latencies.length / seconds),
    ...pick(summarize(latencies)),
  };
}

const round1 = (value) => Math.round(value * 10) / 10;
const pick = ({ p50, p95, p99, max }) => ({ p50, p95, p99, max });
