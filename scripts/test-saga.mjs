/**
 * test-saga.mjs: an end-to-end check of the running order saga. Run it through ./test-saga.sh.
 *
 *   npm start                             # in another terminal: the broker and the four services
 *   ./test-saga.sh                        # 20 orders, 30 s deadline
 *   ORDERS=200 DEADLINE_MS=60000 ./test-saga.sh
 *   ./test-saga.sh --record               # also writes this run's path mix and latency into the guide
 *
 * It checks every service's /health, restocks the shelf back to its initial stock (so that every
 * run shows the same path mix, however many ran before), places ORDERS orders (a mix of products, quantities and
 * prices with cents), follows each one to `completed` or `cancelled`, and prints each order's path
 * through the saga, the compensations, the inventory and the analytics. It then checks the
 * invariants of PHASE5-STREAMING-SAGA.md §3.1 for its own orders and for the global state
 * (the system may hold orders from earlier runs, so global figures are compared globally), and
 * prints latency (POST → terminal state) and the path mix. With `--record` it writes those two
 * into PHASE5-STREAMING-SAGA.md (its `test-saga` measured block, stamped with the command and the
 * date): the guide quotes a run only as this script wrote it.
 *
 * Environment:
 *   ORDER_URL, PAYMENT_URL, INVENTORY_URL, ANALYTICS_URL
 *                base URLs of the services (default http://127.0.0.1:3002, :3003, :3004, :3005)
 *   ORDERS       how many orders to place (default 20)
 *   DEADLINE_MS  time for all orders to reach a terminal state, counted from the first POST (default 30000)
 *   SETTLE_MS    extra time for eventually consistent state (refunds, releases, analytics) to catch up (default 5000)
 *   CONCURRENCY  most HTTP requests in flight at once (default 16)
 *   POLL_MS      pause between two polls of the same order (default 15)
 *   INTERVAL_MS  pause between two orders (default 50); 0 sends them all at once, which on a small
 *                machine measures queueing under a burst rather than the saga's own latency
 *   NO_COLOR     set to turn colour off; colour is only used when stdout is a terminal
 *   RESTOCK      `off` to leave the shelf as it is (default: restock each product back to its initial stock
 *                through POST /inventory/restock, an operator's endpoint)
 *   ADMIN_TOKEN  the inventory's ADMIN_TOKEN, when it has one (without one, it takes restocks from its own host only)
 *
 * Output ends with one line "N passed, N failed", and the exit code is 1 if anything failed
 * (2 for a bad environment variable). What is counted: every order placed is one item, which passes
 * when the API accepted it, it reached a terminal state before the deadline and its payment and
 * reservation agree with its status; every check line (the health check, then each invariant) is
 * one item too.
 */
import { randomInt, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { writeMeasured } from './docs/measured.mjs';

const REQUEST_TIMEOUT_MS = 5000;
const SETTLE_POLL_MS = 100;
const TERMINAL = new Set(['completed', 'cancelled']);
const EXPECTED_MIX = [
  { path: 'completed', label: 'completed', expected: 0.56 },
  { path: 'payment-failed', label: 'cancelled, payment failed', expected: 0.3 },
  { path: 'refunded', label: 'cancelled after payment, refunded', expected: 0.14 },
];
const OTHER_PATHS = [
  { path: 'timeout', label: 'cancelled by the saga timeout' },
  { path: 'pending', label: 'still pending at the deadline' },
  { path: 'rejected', label: 'not accepted by POST /orders' },
];
/** Products and unit prices the orders are drawn from; mostly prod-1 and prod-2, some prices with cents. */
const CATALOGUE = [
  { productId: 'prod-1', prices: [25, 19.99, 4.5], weight: 45 },
  { productId: 'prod-2', prices: [12.5, 9.99], weight: 40 },
  { productId: 'prod-3', prices: [40, 7.25], weight: 15 },
];

// ---------------------------------------------------------------- configuration and output

const config = readConfig(process.env);
const useColour = Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;
const paint = (code) => (text) => (useColour ? `\x1b[${code}m${text}\x1b[0m` : String(text));
const green = paint('32');
const red = paint('31');
const yellow = paint('33');
const dim = paint('2');
const bold = paint('1');
const PASS = green('✓');
const FAIL = red('✗');

function readConfig(env) {
  const errors = [];
  const integer = (name, fallback, min) => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min) errors.push(`${name} must be an integer >= ${min} (got "${raw}")`);
    return value;
  };
  const url = (name, port) => (env[name] || `http://127.0.0.1:${port}`).replace(/\/+$/, '');
  const result = {
    services: [
      { name: 'order-service', url: url('ORDER_URL', 3002) },
      { name: 'payment-service', url: url('PAYMENT_URL', 3003) },
      { name: 'inventory-service', url: url('INVENTORY_URL', 3004) },
      { name: 'analytics-service', url: url('ANALYTICS_URL', 3005) },
    ],
    orders: integer('ORDERS', 20, 1),
    deadlineMs: integer('DEADLINE_MS', 30000, 1),
    settleMs: integer('SETTLE_MS', 5000, 0),
    concurrency: integer('CONCURRENCY', 16, 1),
    pollMs: integer('POLL_MS', 15, 0),
    intervalMs: integer('INTERVAL_MS', 50, 0),
    restock: env.RESTOCK !== 'off',
    adminToken: env.ADMIN_TOKEN || undefined,
  };
  if (errors.length > 0) {
    console.error(`test-saga: ${errors.join('; ')}`);
    process.exit(2);
  }
  const [order, payment, inventory, analytics] = result.services.map((service) => service.url);
  return { ...result, urls: { order, payment, inventory, analytics } };
}

function heading(title) {
  console.log(`\n${bold(title)}`);
}

function shortId(id) {
  return id ? `${id.slice(0, 8)}…` : '—'.padEnd(9);
}

// ---------------------------------------------------------------- money and numbers

function toCents(amount) {
  return Math.round(Number(amount) * 100);
}

function money(cents) {
  return (cents / 100).toFixed(2);
}

function percent(part, whole) {
  return whole === 0 ? '   —  ' : `${((part / whole) * 100).toFixed(1).padStart(5)} %`;
}

function plural(count, noun) {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

function percentile(sorted, p) {
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
}

function countBy(values) {
  const counts = new Map();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return counts;
}

// ---------------------------------------------------------------- HTTP

const withSlot = semaphore(config.concurrency);

/** Runs at most `max` tasks at once; the others wait in line. */
function semaphore(max) {
  let active = 0;
  const waiting = [];
  return async (task) => {
    if (active < max) active += 1;
    else await new Promise((resolve) => waiting.push(resolve));
    try {
      return await task();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else active -= 1;
    }
  };
}

/** One HTTP request, JSON in and out; `startedAt` is when it was actually sent (performance.now()). */
function request(method, url, { body, headers = {} } = {}) {
  return withSlot(async () => {
    const startedAt = performance.now();
    const response = await fetch(url, {
      method,
      headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const text = await response.text();
    return { status: response.status, body: parseJson(text), text, startedAt, receivedAt: performance.now() };
  });
}

function parseJson(text) {
  try {
    return text ? JSON.parse(text) : null;
  } catch {
    return null;
  }
}

/** GET a JSON resource: its body on 200, null on 404, an error otherwise. */
async function getJson(url) {
  const response = await request('GET', url);
  if (response.status === 200) return response.body;
  if (response.status === 404) return null;
  throw new Error(`GET ${url} → ${response.status} ${response.text.slice(0, 200)}`);
}

function describeError(error) {
  if (error?.name === 'TimeoutError') return `no answer within ${REQUEST_TIMEOUT_MS} ms`;
  const code = error?.cause?.code;
  if (code === 'ECONNREFUSED') return 'connection refused';
  return code ? `${error.message} (${code})` : String(error?.message ?? error);
}

// ---------------------------------------------------------------- 1. health

async function serviceHealth(service) {
  try {
    const response = await request('GET', `${service.url}/health`);
    if (response.status === 200 && response.body?.status === 'ok') return { ...service, problem: null };
    // @nestjs/terminus names each check that is down, with its reason: {status: "error", error: {kafka: {message}}}.
    const down = Object.entries(response.body?.error ?? {}).map(([check, { message }]) => `${check}${message ? ` (${message})` : ''}`);
    const detail = down.length > 0 ? `${down.join(', ')} down` : response.text.slice(0, 120);
    return { ...service, problem: `HTTP ${response.status}${detail ? `: ${detail}` : ''}` };
  } catch (error) {
    return { ...service, problem: describeError(error) };
  }
}

async function checkHealth() {
  heading('Health');
  const results = await Promise.all(config.services.map(serviceHealth));
  for (const { name, url, problem } of results) {
    console.log(`  ${problem ? FAIL : PASS} ${name.padEnd(18)} ${url.padEnd(24)} ${problem ? red(problem) : 'ok'}`);
  }
  const down = results.filter((result) => result.problem);
  if (down.length > 0) {
    console.log(`\n  ${down.map((result) => result.name).join(', ')} ${down.length === 1 ? 'is' : 'are'} not healthy.`);
    console.log('  Start the system first: `npm run kafka:start` (the broker), then `npm start` (the four services),');
    console.log('  or point ORDER_URL / PAYMENT_URL / INVENTORY_URL / ANALYTICS_URL at running services.');
  }
  return check(`all ${results.length} services healthy`, down.length === 0, down.length === 0 ? '' : `${down.length} down`);
}

// ---------------------------------------------------------------- 2. restocking

/**
 * Every run starts from the same shelf: each product the orders draw from that has less
 * available than its initial stock is restocked back to it (POST /inventory/restock, the
 * operator's endpoint, which records the restock). Without this, earlier runs' reservations
 * empty the shelf, and every later order ends refunded.
 */
async function restockShelf() {
  heading('Restock (POST /inventory/restock)');
  if (!config.restock) return console.log(dim('  RESTOCK=off: the shelf is left as it is'));
  const products = (await getJson(`${config.urls.inventory}/inventory`))?.products ?? [];
  const short = products.filter(
    ({ productId, initial, available }) => CATALOGUE.some((c) => c.productId === productId) && available < initial,
  );
  if (short.length === 0) return console.log(dim('  every product ordered here has its initial stock available: nothing to restock'));
  const headers = config.adminToken ? { authorization: `Bearer ${config.adminToken}` } : {};
  for (const { productId, initial, available } of short) {
    const body = { productId, quantity: initial - available, restockId: randomUUID() };
    const response = await request('POST', `${config.urls.inventory}/inventory/restock`, { body, headers });
    if (response.status === 201) {
      console.log(`  ${PASS} ${productId.padEnd(12)} +${body.quantity}, ${response.body.level.available} available`);
      continue;
    }
    console.log(
      `  ${yellow('!')} ${productId.padEnd(12)} not restocked: HTTP ${response.status} ${response.body?.message ?? response.text.slice(0, 120)}`,
    );
    if (response.status === 401 || response.status === 403) {
      console.log(dim("    set ADMIN_TOKEN to the inventory's, or run test-saga on its host; meanwhile more orders may end refunded"));
      return;
    }
  }
}

// ---------------------------------------------------------------- 3. placing orders

function pickWeighted(entries) {
  let ticket = randomInt(entries.reduce((sum, entry) => sum + entry.weight, 0));
  return entries.find((entry) => (ticket -= entry.weight) < 0);
}

/** A random order: one line (70 %) or two, 1-3 units each; every other order states its total. */
function orderRequest(index) {
  const first = pickWeighted(CATALOGUE);
  const products = randomInt(10) < 7 ? [first] : [first, pickWeighted(CATALOGUE.filter((entry) => entry !== first))];
  const items = products.map(({ productId, prices }) => ({
    productId,
    quantity: 1 + randomInt(3),
    price: prices[randomInt(prices.length)],
  }));
  const body = { userId: `user-${100 + (index % 7)}`, items };
  if (index % 2 === 0) body.total = itemsTotalCents(items) / 100;
  return body;
}

function itemsTotalCents(items) {
  return items.reduce((sum, item) => sum + item.quantity * toCents(item.price), 0);
}

/** POSTs one order, retrying network errors and 5xx with the same Idempotency-Key. */
async function placeOrder(index, runId) {
  const body = orderRequest(index);
  const placed = { index, body, expectedCents: itemsTotalCents(body.items), orderId: null, postedAt: null, problems: [] };
  const headers = { 'idempotency-key': `test-saga-${runId}-${index}` };
  for (let attempt = 1; attempt <= 3; attempt += 1) {
    try {
      const response = await request('POST', `${config.urls.order}/orders`, { body, headers });
      placed.postedAt ??= response.startedAt;
      if (response.status === 201 && response.body?.orderId) return acceptedOrder(placed, response.body);
      placed.rejection = `POST /orders → ${response.status} ${response.text.slice(0, 200)}`;
      if (response.status < 500) return placed;
    } catch (error) {
      placed.rejection = `POST /orders failed: ${describeError(error)}`;
    }
    await sleep(200 * attempt);
  }
  return placed;
}

function acceptedOrder(placed, order) {
  placed.orderId = order.orderId;
  placed.order = order;
  if (toCents(order.total) !== placed.expectedCents) {
    placed.problems.push({ invariant: 'accepted', message: `created with total ${order.total}, expected ${money(placed.expectedCents)}` });
  }
  if (order.status !== 'pending' && !TERMINAL.has(order.status)) {
    placed.problems.push({ invariant: 'accepted', message: `created with unexpected status "${order.status}"` });
  }
  return placed;
}

// ---------------------------------------------------------------- 4. following orders

/** Polls GET /orders/:id until the order is completed or cancelled, or the deadline passes. */
async function followOrder(placed, deadline) {
  for (;;) {
    try {
      const order = await getJson(`${config.urls.order}/orders/${placed.orderId}`);
      if (order) placed.order = order;
      if (order && TERMINAL.has(order.status)) {
        placed.latencyMs = performance.now() - placed.postedAt;
        return placed;
      }
    } catch (error) {
      placed.lastError = describeError(error);
    }
    if (performance.now() >= deadline) return placed;
    await sleep(config.pollMs);
  }
}

async function placeAndFollowAll() {
  const runId = randomUUID().slice(0, 8);
  const deadline = performance.now() + config.deadlineMs;
  const indexes = Array.from({ length: config.orders }, (_, index) => index);
  return Promise.all(
    indexes.map(async (index) => {
      // Paced, so the latency printed is the saga's at low load, not the queueing of a burst.
      await sleep(index * config.intervalMs);
      const placed = await placeOrder(index, runId);
      return placed.orderId ? followOrder(placed, deadline) : placed;
    }),
  );
}

// ---------------------------------------------------------------- per-order consistency

/** The order, its payment and its reservation as the three services see them now. */
async function readOrderState(orderId) {
  const [order, payment, reservation] = await Promise.all([
    getJson(`${config.urls.order}/orders/${orderId}`),
    getJson(`${config.urls.payment}/payments/${orderId}`),
    getJson(`${config.urls.inventory}/inventory/reservations/${orderId}`),
  ]);
  return { order, payment, reservation };
}

/** What disagrees between the order's status, its payment, its reservation and its history. */
function consistencyProblems({ order, payment, reservation }) {
  const problems = [];
  const add = (invariant, message) => problems.push({ invariant, message });
  const steps = (order.history ?? []).map((entry) => entry.step);
  const charges = steps.filter((step) => step === 'PaymentCompleted').length;
  const refunds = steps.filter((step) => step === 'PaymentRefunded').length;
  const totalCents = toCents(order.total);
  if (order.status === 'completed') {
    if (payment?.status !== 'completed') add('completed', `completed, but the payment is ${payment?.status ?? 'missing'}`);
    else if (toCents(payment.amount) !== totalCents) add('completed', `charged ${payment.amount}, but the order total is ${order.total}`);
    if (reservation?.status !== 'reserved') add('completed', `completed, but the reservation is ${reservation?.status ?? 'missing'}`);
  }
  if (order.status === 'cancelled') {
    if (payment && !['failed', 'refunded'].includes(payment.status))
      add('cancelled', `cancelled, but the payment is ${payment.status} (net charge)`);
    if (payment?.status === 'refunded' && toCents(payment.amount) !== totalCents)
      add('cancelled', `refunded ${payment.amount}, but the order total is ${order.total}`);
    if (reservation && !['failed', 'released', 'cancelled'].includes(reservation.status))
      add('cancelled', `cancelled, but the reservation is ${reservation.status} (stock held)`);
  }
  if (charges > 1) add('once', `${charges} PaymentCompleted steps in the history`);
  if (refunds > 1) add('once', `${refunds} PaymentRefunded steps in the history`);
  if (payment?.status === 'refunded' && refunds !== 1)
    add('once', `payment refunded, but the history has ${refunds} PaymentRefunded steps`);
  if (refunds > 0 && payment?.status !== 'refunded')
    add('once', `history has a refund, but the payment is ${payment?.status ?? 'missing'}`);
  return problems;
}

/** Re-reads a terminal order until its services agree (compensations are asynchronous) or time runs out. */
async function settleOrder(placed, until) {
  for (;;) {
    let problems;
    try {
      placed.state = await readOrderState(placed.orderId);
      placed.order = placed.state.order ?? placed.order;
      problems = placed.state.order ? consistencyProblems(placed.state) : [{ invariant: 'terminal', message: 'order disappeared' }];
    } catch (error) {
      problems = [{ invariant: 'read', message: `could not read its state: ${describeError(error)}` }];
    }
    if (problems.length === 0 || performance.now() >= until) {
      placed.problems.push(...problems);
      return placed;
    }
    await sleep(SETTLE_POLL_MS);
  }
}

async function settleAll(placedOrders) {
  const until = performance.now() + config.settleMs;
  const terminal = placedOrders.filter((placed) => placed.latencyMs !== undefined);
  await Promise.all(terminal.map((placed) => settleOrder(placed, until)));
}

function pathOf(placed) {
  if (!placed.orderId) return 'rejected';
  const order = placed.order;
  if (!TERMINAL.has(order?.status)) return 'pending';
  if (order.status === 'completed') return 'completed';
  const code = order.cancellationCode ?? '';
  if (code === 'SAGA.TIMEOUT') return 'timeout';
  if (code.startsWith('PAYMENT.') || code === 'ORDER.CANCELLED') return 'payment-failed';
  return 'refunded';
}

function orderPassed(placed) {
  return Boolean(placed.orderId) && placed.latencyMs !== undefined && placed.problems.length === 0;
}

// ---------------------------------------------------------------- 5. per-order paths

function printOrders(placedOrders) {
  heading(`Orders (${placedOrders.length}): path through the saga, POST → terminal state`);
  const stepsOf = (placed) => (placed.order?.history ?? []).map((entry) => entry.step).join(' → ');
  const width = Math.max(...placedOrders.map((placed) => stepsOf(placed).length));
  for (const placed of placedOrders) {
    const mark = orderPassed(placed) ? PASS : FAIL;
    if (!placed.orderId) {
      console.log(`  ${mark} ${shortId(null)}  ${red('rejected')}   ${placed.rejection}`);
      continue;
    }
    const status = placed.order?.status ?? 'unknown';
    const colour = status === 'completed' ? green : status === 'cancelled' ? yellow : red;
    const latency = placed.latencyMs === undefined ? red('pending at the deadline') : `${Math.round(placed.latencyMs)} ms`.padStart(7);
    const reason = status === 'cancelled' ? dim(`  ${placed.order.cancellationCode}: ${placed.order.cancellationReason}`) : '';
    console.log(`  ${mark} ${shortId(placed.orderId)}  ${colour(status.padEnd(9))}  ${stepsOf(placed).padEnd(width)}  ${latency}${reason}`);
    if (placed.latencyMs === undefined && placed.lastError) console.log(`      ${red(`last poll error: ${placed.lastError}`)}`);
    for (const problem of placed.problems) console.log(`      ${FAIL} ${red(problem.message)}`);
  }
}

// ---------------------------------------------------------------- 6. compensation, inventory, analytics

function printCompensation(placedOrders) {
  heading('Compensation (this run)');
  const refunded = placedOrders.filter((placed) => placed.state?.payment?.status === 'refunded');
  const refundedCents = refunded.reduce((sum, placed) => sum + toCents(placed.state.payment.amount), 0);
  console.log(`  Refunds issued: ${refunded.length}${refunded.length ? `, ${money(refundedCents)} in total` : ''}`);
  for (const placed of refunded) {
    const refund = money(toCents(placed.state.payment.amount)).padStart(8);
    console.log(`    ↩ ${shortId(placed.orderId)}  refunded ${refund}  ${dim(placed.order.cancellationCode ?? '')}`);
  }
  const cancelled = placedOrders.filter((placed) => placed.order?.status === 'cancelled');
  console.log(`  Cancellations: ${cancelled.length}`);
  for (const [code, count] of countBy(cancelled.map((placed) => placed.order.cancellationCode ?? 'unknown'))) {
    console.log(`    ${code.padEnd(30)} ${String(count).padStart(4)}`);
  }
  const released = placedOrders.filter((placed) => placed.state?.reservation?.status === 'released').length;
  if (released > 0) console.log(`  Reservations released after a cancellation: ${released}`);
}

function printInventory(products) {
  heading('Inventory (GET /inventory)');
  console.log(
    dim(
      `  ${'product'.padEnd(12)} ${'initial'.padStart(8)} ${'restocked'.padStart(10)} ${'available'.padStart(10)} ${'reserved'.padStart(9)}`,
    ),
  );
  for (const { productId, initial, restocked, available, reserved } of products) {
    console.log(
      `  ${productId.padEnd(12)} ${String(initial).padStart(8)} ${String(restocked).padStart(10)} ${String(available).padStart(10)} ${String(reserved).padStart(9)}`,
    );
  }
}

function printAnalytics(analytics) {
  heading('Analytics (GET /analytics, all orders the system has seen)');
  if (!analytics) {
    console.log(`  ${red('not available')}`);
    return;
  }
  const amount = (value) => (typeof value === 'number' ? money(toCents(value)) : '—');
  const failures =
    Object.entries(analytics.inventoryFailures ?? {})
      .map(([code, count]) => `${code} ${count}`)
      .join(', ') || 'none';
  const rows = [
    [
      'orders',
      [
        `${analytics.orderCount} created`,
        `${analytics.successfulOrders} completed`,
        `${analytics.failedOrders} cancelled`,
        `${analytics.ordersInFlight} in flight`,
      ].join(', '),
    ],
    ['success rate', `${analytics.successRate} %`],
    [
      'revenue',
      [
        `${amount(analytics.totalRevenue)} gross`,
        `${amount(analytics.refundedAmount)} refunded (${plural(analytics.refunds, 'refund')})`,
        `${amount(analytics.netRevenue)} net`,
      ].join(', '),
    ],
    ['payments failed', `${analytics.paymentsFailed}`],
    ['inventory failures', failures],
    ['orders last minute', `${analytics.ordersLastMinute}`],
  ];
  for (const [name, value] of rows) console.log(`  ${name.padEnd(19)} ${value.replaceAll('undefined', '—')}`);
}

// ---------------------------------------------------------------- 7. global state

async function listOrders(status, limit, offset) {
  const query = new URLSearchParams({ limit: String(limit), offset: String(offset), ...(status ? { status } : {}) });
  const page = await getJson(`${config.urls.order}/orders?${query}`);
  if (!page || !Array.isArray(page.items)) throw new Error(`GET /orders?${query} returned no page`);
  return page;
}

/** Every order with this status, 100 at a time; `consistent` is false if the set moved while paging. */
async function allOrders(status) {
  const byId = new Map();
  let total = Infinity;
  for (let offset = 0; offset < total; offset += 100) {
    const page = await listOrders(status, 100, offset);
    total = page.total;
    for (const order of page.items) byId.set(order.orderId, order);
  }
  const { total: totalAfter } = await listOrders(status, 1, 0);
  return { orders: [...byId.values()], consistent: byId.size === total && totalAfter === total };
}

async function readGlobalState() {
  const [all, cancelled, completed, inventory] = await Promise.all([
    listOrders(undefined, 1, 0),
    listOrders('cancelled', 1, 0),
    allOrders('completed'),
    getJson(`${config.urls.inventory}/inventory`),
  ]);
  const analytics = await getJson(`${config.urls.analytics}/analytics`);
  return {
    totals: { all: all.total, completed: completed.orders.length, cancelled: cancelled.total },
    completed,
    products: inventory?.products ?? [],
    analytics,
  };
}

function analyticsCountProblems({ totals, analytics }) {
  if (!analytics) return ['GET /analytics returned nothing'];
  const pairs = [
    ['orderCount', analytics.orderCount, 'orders', totals.all],
    ['successfulOrders', analytics.successfulOrders, 'completed orders', totals.completed],
    ['failedOrders', analytics.failedOrders, 'cancelled orders', totals.cancelled],
  ];
  return pairs.filter(([, got, , want]) => got !== want).map(([name, got, what, want]) => `${name} ${got} ≠ ${want} ${what}`);
}

function reservedStockProblems({ completed, products }) {
  if (!completed.consistent) return ['completed orders changed while paging'];
  const wanted = new Map();
  for (const order of completed.orders)
    for (const item of order.items) wanted.set(item.productId, (wanted.get(item.productId) ?? 0) + item.quantity);
  const productIds = new Set([...wanted.keys(), ...products.map((product) => product.productId)]);
  const reserved = new Map(products.map((product) => [product.productId, product.reserved]));
  return [...productIds]
    .filter((productId) => (reserved.get(productId) ?? 0) !== (wanted.get(productId) ?? 0))
    .map((productId) => `${productId}: reserved ${reserved.get(productId) ?? 'n/a'} ≠ ${wanted.get(productId) ?? 0} in completed orders`);
}

function revenueProblems({ completed, analytics }) {
  if (!analytics) return ['GET /analytics returned nothing'];
  const problems = [];
  const completedCents = completed.orders.reduce((sum, order) => sum + toCents(order.total), 0);
  const netCents = toCents(analytics.netRevenue);
  if (netCents !== toCents(analytics.totalRevenue) - toCents(analytics.refundedAmount)) {
    problems.push(
      `netRevenue ${analytics.netRevenue} ≠ totalRevenue ${analytics.totalRevenue} − refundedAmount ${analytics.refundedAmount}`,
    );
  }
  if (netCents !== completedCents)
    problems.push(`netRevenue ${analytics.netRevenue} ≠ ${money(completedCents)}, the total of completed orders`);
  return problems;
}

function stockProblems({ products }) {
  if (products.length === 0) return ['GET /inventory returned no products'];
  return products
    .filter(({ initial, restocked, available, reserved }) => available + reserved !== initial + restocked || available < 0 || reserved < 0)
    .map(
      ({ productId, initial, restocked, available, reserved }) =>
        `${productId}: available ${available} + reserved ${reserved} vs initial ${initial} + restocked ${restocked}`,
    );
}

function globalProblems(state) {
  return {
    analytics: analyticsCountProblems(state),
    reserved: reservedStockProblems(state),
    revenue: revenueProblems(state),
    stock: stockProblems(state),
  };
}

/** Reads the global state until analytics and inventory agree with the order service, or time runs out. */
async function reconcileGlobalState() {
  const until = performance.now() + config.settleMs;
  for (;;) {
    let state;
    let problems;
    try {
      state = await readGlobalState();
      problems = globalProblems(state);
    } catch (error) {
      const message = `could not read the global state: ${describeError(error)}`;
      problems = { analytics: [message], reserved: [message], revenue: [message], stock: [message] };
    }
    if (Object.values(problems).every((list) => list.length === 0) || performance.now() >= until) return { state, problems };
    await sleep(SETTLE_POLL_MS * 2);
  }
}

// ---------------------------------------------------------------- checks

function check(name, ok, detail = '') {
  return { name, ok, detail };
}

function printChecks(checks) {
  heading('Invariants');
  for (const { name, ok, detail } of checks)
    console.log(`  ${ok ? PASS : FAIL} ${name}${detail ? (ok ? dim(`: ${detail}`) : red(`: ${detail}`)) : ''}`);
}

function ordersWith(placedOrders, invariant) {
  return placedOrders.filter((placed) => placed.problems.some((problem) => problem.invariant === invariant));
}

function perOrderCheck(name, placedOrders, invariant, scope) {
  const bad = ordersWith(placedOrders, invariant);
  const detail = bad.length === 0 ? `${scope.length} orders` : bad.map((placed) => shortId(placed.orderId)).join(', ');
  return check(name, bad.length === 0, detail);
}

function orderChecks(placedOrders) {
  const accepted = placedOrders.filter((placed) => placed.orderId);
  const terminal = accepted.filter((placed) => placed.latencyMs !== undefined);
  const completed = terminal.filter((placed) => placed.order.status === 'completed');
  const cancelled = terminal.filter((placed) => placed.order.status === 'cancelled');
  const badlyAccepted = ordersWith(placedOrders, 'accepted').length;
  const unreadable = ordersWith(placedOrders, 'read');
  return [
    check(
      'every order accepted by POST /orders with the right total',
      accepted.length === placedOrders.length && badlyAccepted === 0,
      `${accepted.length - badlyAccepted}/${placedOrders.length}`,
    ),
    check(
      `every order reached completed or cancelled within ${config.deadlineMs} ms`,
      terminal.length === accepted.length,
      `${terminal.length}/${accepted.length}${terminal.length < accepted.length ? ' (the rest were still pending)' : ''}`,
    ),
    perOrderCheck('completed ⇔ payment captured and stock reserved', placedOrders, 'completed', completed),
    perOrderCheck('cancelled ⇒ no net charge (failed, or refunded in full) and no held stock', placedOrders, 'cancelled', cancelled),
    perOrderCheck('at most one charge and one refund per order', placedOrders, 'once', terminal),
    ...(unreadable.length
      ? [check('payment and reservation readable for every order', false, unreadable.map((placed) => shortId(placed.orderId)).join(', '))]
      : []),
  ];
}

function globalChecks({ state, problems }) {
  const describe = (list, fallback) => (list.length ? list.join('; ') : fallback);
  const products = state?.products ?? [];
  const totals = state?.totals;
  return [
    check(
      'stock conserved: available + reserved = initial + restocked, none negative',
      problems.stock.length === 0,
      describe(problems.stock, `${products.length} products`),
    ),
    check(
      'analytics counts = order service (created, completed, cancelled)',
      problems.analytics.length === 0,
      describe(problems.analytics, totals ? `${totals.all} / ${totals.completed} / ${totals.cancelled}` : ''),
    ),
    check(
      'reserved stock = quantities of all completed orders',
      problems.reserved.length === 0,
      describe(problems.reserved, `${products.reduce((sum, product) => sum + product.reserved, 0)} units`),
    ),
    check(
      'analytics net revenue = total of all completed orders',
      problems.revenue.length === 0,
      describe(problems.revenue, state?.analytics ? money(toCents(state.analytics.netRevenue)) : ''),
    ),
  ];
}

// ---------------------------------------------------------------- 8. latency and path mix

/** min, p50, p95 and max of POST → terminal state, or null when no order got there. */
function latencyOf(placedOrders) {
  const latencies = placedOrders
    .filter((placed) => placed.latencyMs !== undefined)
    .map((placed) => placed.latencyMs)
    .sort((a, b) => a - b);
  if (latencies.length === 0) return null;
  const stats = [
    ['min', latencies[0]],
    ['p50', percentile(latencies, 50)],
    ['p95', percentile(latencies, 95)],
    ['max', latencies.at(-1)],
  ];
  return { count: latencies.length, line: stats.map(([name, ms]) => `${name} ${Math.round(ms)} ms`).join('   ') };
}

function printLatency(placedOrders) {
  const latency = latencyOf(placedOrders);
  heading(`Latency, POST → terminal state (${latency?.count ?? 0} orders, polled every ${config.pollMs} ms)`);
  console.log(latency ? `  ${latency.line}` : '  no order reached a terminal state');
}

function printPathMix(placedOrders) {
  const n = placedOrders.length;
  const counts = countBy(placedOrders.map(pathOf));
  const spread = Math.round(Math.sqrt((0.56 * 0.44) / n) * 100);
  heading('Path mix (this run) vs. expected at the default failure rates');
  for (const { path, label, expected } of EXPECTED_MIX) {
    const count = counts.get(path) ?? 0;
    console.log(
      `  ${label.padEnd(34)} ${String(count).padStart(5)}  ${percent(count, n)}   ${dim(`expected ${Math.round(expected * 100)} %`)}`,
    );
  }
  for (const { path, label } of OTHER_PATHS) {
    const count = counts.get(path) ?? 0;
    if (count > 0) console.log(`  ${label.padEnd(34)} ${String(count).padStart(5)}  ${percent(count, n)}   ${dim('expected ≈ 0 %')}`);
  }
  console.log(dim(`  The rates are probabilities: with ${n} orders a share typically varies by ±${spread} points.`));
  console.log(dim('  Insufficient stock and unknown products also take the refund path, so it grows as stock runs out.'));
  const outOfStock = placedOrders.filter((placed) => placed.order?.cancellationCode === 'INVENTORY.INSUFFICIENT_STOCK').length;
  if (outOfStock > 0) {
    console.log(
      yellow(
        `  ${plural(outOfStock, 'order')} of this run found too little stock; ` +
          'the restock at the start tops up to the initial stock only (RESTOCK=off skips it), so a run larger than the shelf runs out.',
      ),
    );
  }
}

/** `--record`: this run's path mix and latency, as a table in the guide (PHASE5-STREAMING-SAGA.md §10). */
function recordRun(placedOrders, failed, startedAt) {
  const n = placedOrders.length;
  const counts = countBy(placedOrders.map(pathOf));
  const rows = [...EXPECTED_MIX, ...OTHER_PATHS.filter(({ path }) => counts.has(path))].map(
    ({ path, label, expected }) =>
      `| ${label} | ${counts.get(path) ?? 0} | ${percent(counts.get(path) ?? 0, n).trim()} | ${Math.round((expected ?? 0) * 100)} % |`,
  );
  const latency = latencyOf(placedOrders);
  // Every setting that changes what is measured, as the command to run it again.
  const settings = ['ORDERS', 'INTERVAL_MS', 'CONCURRENCY', 'POLL_MS', 'DEADLINE_MS', 'SETTLE_MS', 'RESTOCK'].filter(
    (name) => process.env[name],
  );
  writeMeasured('PHASE5-STREAMING-SAGA.md', 'test-saga', {
    command: `${settings.map((name) => `${name}=${process.env[name]} `).join('')}./test-saga.sh --record`,
    at: startedAt,
    markdown: [
      `${n} orders against ${config.urls.order}, ${failed === 0 ? 'every check passed' : `${failed} check(s) failed`}.`,
      '',
      '| path | orders | share | expected at the default failure rates |',
      '|---|---|---|---|',
      ...rows,
      '',
      latency
        ? `POST → terminal state, ${latency.count} orders: ${latency.line.replaceAll('   ', ', ')}.`
        : 'No order reached a terminal state.',
    ].join('\n'),
  });
  console.log(dim('\n  --record: this run is written into PHASE5-STREAMING-SAGA.md (its test-saga block)'));
}

// ---------------------------------------------------------------- 9. summary

function printSummary(checks, placedOrders) {
  const items = [...checks.map((item) => item.ok), ...placedOrders.map(orderPassed)];
  const passed = items.filter(Boolean).length;
  const failed = items.length - passed;
  console.log(`\n${passed} passed, ${failed} failed`);
  return failed;
}

const RECORD = process.argv.slice(2).includes('--record');

async function main() {
  if (process.argv.slice(2).some((arg) => arg === '-h' || arg === '--help')) {
    const settings =
      'ORDERS, DEADLINE_MS, SETTLE_MS, CONCURRENCY, POLL_MS, INTERVAL_MS, ORDER_URL, PAYMENT_URL, INVENTORY_URL, ANALYTICS_URL, NO_COLOR, RESTOCK, ADMIN_TOKEN';
    console.log(`Usage: ./test-saga.sh [--record]   (env: ${settings})`);
    console.log("  --record  write this run's path mix and latency into PHASE5-STREAMING-SAGA.md");
    console.log('See the header of scripts/test-saga.mjs for details.');
    return 0;
  }
  const startedAt = new Date();
  console.log(bold(`Saga test: ${config.orders} orders against ${config.urls.order}, deadline ${config.deadlineMs} ms`));
  const health = await checkHealth();
  if (!health.ok) return printSummary([health], []);
  await restockShelf();

  const placedOrders = await placeAndFollowAll();
  await settleAll(placedOrders);
  const global = await reconcileGlobalState();

  printOrders(placedOrders);
  printCompensation(placedOrders);
  printInventory(global.state?.products ?? []);
  printAnalytics(global.state?.analytics);
  const checks = [health, ...orderChecks(placedOrders), ...globalChecks(global)];
  printChecks(checks);
  printLatency(placedOrders);
  printPathMix(placedOrders);
  const failed = printSummary(checks, placedOrders);
  if (RECORD) recordRun(placedOrders, failed, startedAt);
  return failed;
}

main().then(
  (failed) => {
    process.exitCode = failed > 0 ? 1 : 0;
  },
  (error) => {
    console.error(`\ntest-saga: unexpected error: ${error?.stack ?? error}`);
    console.log('\n0 passed, 1 failed');
    process.exitCode = 1;
  },
);
