import type { SagaSystem } from './saga-system.js';
import { sleep } from './saga-system.js';

export interface HttpResult<T = any> {
  readonly status: number;
  readonly body: T;
  readonly headers: Headers;
}

export async function request<T = any>(url: string, init: RequestInit = {}): Promise<HttpResult<T>> {
  const response = await fetch(url, init).catch((error: Error) => {
    // A kept-alive socket the service closed (its keep-alive timeout, 5 s) while this process was too busy to
    // notice: the request went out on it and met the close. Only a GET is sent again: it changes nothing.
    const method = (init.method ?? 'GET').toUpperCase();
    if (method === 'GET' && (error.cause as { code?: string } | undefined)?.code === 'UND_ERR_SOCKET') return fetch(url, init);
    throw error;
  });
  const text = await response.text();
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, body, headers: response.headers };
}

export function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<HttpResult> {
  return request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

export const ORDER = { userId: 'user-123', items: [{ productId: 'prod-1', quantity: 2, price: 25 }], total: 50 };

export async function placeOrder(system: SagaSystem, body: unknown = ORDER, headers: Record<string, string> = {}): Promise<string> {
  const result = await postJson(system.url('order-service', '/orders'), body, headers);
  if (result.status !== 201) throw new Error(`POST /orders answered ${result.status}: ${JSON.stringify(result.body)}`);
  return result.body.orderId as string;
}

/** Polls `read` until `done` holds; fails with the last value seen after `timeoutMs`. */
export async function eventually<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 20_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await read();
    if (done(last)) return last;
    await sleep(10);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last value: ${JSON.stringify(last)}`);
}

export async function getOrder(system: SagaSystem, orderId: string) {
  return (await request(system.url('order-service', `/orders/${orderId}`))).body;
}

/** Waits for the order's terminal state and reports how long it took from `since`. */
export async function waitForTerminal(system: SagaSystem, orderId: string, since = performance.now(), timeoutMs = 20_000) {
  const order = await eventually(
    () => getOrder(system, orderId),
    (o) => o.status !== 'pending',
    timeoutMs,
    `order ${orderId} to finish`,
  );
  return { order, elapsedMs: performance.now() - since };
}

export async function getPayment(system: SagaSystem, orderId: string): Promise<HttpResult> {
  return request(system.url('payment-service', `/payments/${orderId}`));
}

export async function getReservation(system: SagaSystem, orderId: string): Promise<HttpResult> {
  return request(system.url('inventory-service', `/inventory/reservations/${orderId}`));
}

export async function getStock(
  system: SagaSystem,
): Promise<Record<string, { initial: number; restocked: number; available: number; reserved: number }>> {
  const { body } = await request(system.url('inventory-service', '/inventory'));
  return Object.fromEntries(body.products.map((p: any) => [p.productId, p]));
}

export async function getAnalytics(system: SagaSystem) {
  return (await request(system.url('analytics-service', '/analytics'))).body;
}
