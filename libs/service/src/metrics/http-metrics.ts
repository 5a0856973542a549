import type { IncomingMessage, ServerResponse } from 'node:http';
import { Histogram } from 'prom-client';
import { routeOf } from '../http-route.js';

const httpRequests = new Histogram({
  name: 'http_request_duration_seconds',
  help: 'HTTP requests by method, route (the pattern, e.g. /orders/:id; "unmatched" when no route took it) and status, with their duration.',
  labelNames: ['method', 'route', 'status_code'] as const,
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
});

/** Express middleware: observes each request once its response was sent (or its connection closed). */
export function httpMetrics(request: IncomingMessage, response: ServerResponse, next: () => void): void {
  const started = performance.now();
  response.once('close', () => {
    const route = routeOf(request) ?? 'unmatched';
    const labels = { method: request.method ?? '', route, status_code: String(response.statusCode) };
    httpRequests.observe(labels, (performance.now() - started) / 1_000);
  });
  next();
}
