import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { eventually, request } from '../../e2e/support/http.js';
import { assertInvariants } from '../../e2e/support/invariants.js';
import { kafkaFor } from '../../e2e/support/kafka.js';
import { type SagaSystem } from '../../e2e/support/saga-system.js';
import { type Load } from './load.js';
import { envelopeOf, readRaw, type RawMessage } from './topics.js';

const ROOT = resolve(import.meta.dirname, '..', '..', '..');
export const RESULTS_FILE = join(ROOT, '.data', 'faults-results.json');

/** The order as GET /orders/:id shows it. */
export interface OrderView {
  readonly orderId: string;
  readonly userId: string;
  readonly items: ReadonlyArray<{ productId: string; quantity: number; price: number }>;
  readonly status: 'pending' | 'completed' | 'cancelled';
  readonly cancellationCode: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly history: Array<{ step: string; at?: string }>;
}

/** One scenario's figures: the line it prints and the row of .data/faults-results.json. */
export interface ScenarioResult {
  readonly scenario: string;
  readonly orders: number;
  readonly accepted: number;
  readonly lost: number;
  readonly duplicated: number;
  readonly deadLettered: number;
  readonly needless: number;
  readonly recoverMs: number | null;
  readonly passed: boolean;
  readonly problems: string[];
  readonly notes: Record<string, unknown>;
  readonly at: string;
}

export interface MeasureOptions {
  readonly scenario: string;
  readonly load: Load;
  /** When the last fault ended (epoch ms): time to recover runs from here to the last order's outcome. */
  readonly faultEndedAt: () => number;
  /** How long the system may take to become quiet (every order terminal). */
  readonly quietTimeoutMs: number;
  /** A cancellation the scenario's fault explains (e.g. a saga timeout while a participant was down); every other one is needless. */
  readonly explains?: (order: OrderView, effects: Effects) => boolean;
  /**
   * Orders another client placed on purpose (schemathesis, with whatever items it made up):
   * not strays, and their cancellations are not needless; they must still end, and every
   * invariant holds for them too.
   */
  readonly placedByOthers?: (order: OrderView) => boolean;
  /** Dead letters the scenario itself caused (poison messages); any other one is a problem. */
  readonly expectedDeadLetters?: number;
  /** Scenario-specific checks, run after the common ones: each returns the problems it found. */
  readonly checks?: (context: MeasureContext) => Promise<string[]> | string[];
  /** Figures the scenario adds to its row. */
  readonly notes?: Record<string, unknown>;
}

export interface MeasureContext {
  readonly orders: OrderView[];
  readonly effects: Effects;
  readonly deadLetters: RawMessage[];
}

/** The effect events on the topics, by type and order id: distinct event ids (a redelivered event counts once). */
export type Effects = Map<string, Map<string, Array<{ eventId: string; occurredAt: string }>>>;

/** Effects an order may have only once: a second one with another event id is a duplicated effect. */
const ONCE_PER_ORDER: Record<string, string> = {
  PaymentCompleted: 'payment.completed',
  PaymentRefunded: 'payment.refunded',
  InventoryReserved: 'inventory.reserved',
  InventoryReleased: 'inventory.released',
  OrderCompleted: 'order.completed',
  OrderCancelled: 'order.cancelled',
};

/**
 * Waits until the system is quiet (every order terminal, or the timeout), then gathers
 * the scenario's figures from the services' HTTP APIs and the Kafka topics, checks every
 * invariant of the saga, prints the scenario's one line and records it in
 * .data/faults-results.json. Resolves to the result; its `problems` say what failed.
 */
export async function measure(system: SagaSystem, options: MeasureOptions): Promise<ScenarioResult> {
  await options.load.done;
  const problems: string[] = [];
  const { load } = options;
  await waitQuiet(system, options.quietTimeoutMs).catch((error: Error) => problems.push(`not quiet: ${error.message}`));
  const orders = await allOrders(system);
  const byId = new Map(orders.map((order) => [order.orderId, order]));

  const accepted = load.accepted();
  const lost = accepted.filter((id) => byId.get(id)?.status !== 'completed' && byId.get(id)?.status !== 'cancelled');
  const others = orders.filter((order) => !accepted.includes(order.orderId) && (options.placedByOthers?.(order) ?? false));
  const strays = orders.filter((order) => !accepted.includes(order.orderId) && !others.includes(order));
  const pending = orders.filter((order) => order.status === 'pending');

  const messages = await readRaw(kafkaFor(system), [...Object.values(ONCE_PER_ORDER).map((name) => system.topic(name))]);
  const deadLetters = await readRaw(kafkaFor(system), [system.topic('saga.dead-letter')]);
  const effects = effectsOf(messages);
  const duplicatedOrders = new Set<string>();
  for (const perOrder of effects.values()) for (const [orderId, events] of perOrder) if (events.length > 1) duplicatedOrders.add(orderId);
  for (const order of orders) if (hasRepeatedStep(order)) duplicatedOrders.add(order.orderId);

  const cancelled = orders.filter((order) => order.status === 'cancelled' && !others.includes(order));
  const explained = cancelled.filter((order) => options.explains?.(order, effects) ?? false);
  const needless = cancelled.length - explained.length;

  const terminalTimes = orders.filter((order) => order.status !== 'pending').map((order) => Date.parse(order.updatedAt));
  const lastTerminal = Math.max(...terminalTimes);
  const recoverMs = Number.isFinite(lastTerminal) ? Math.max(0, lastTerminal - options.faultEndedAt()) : null;

  try {
    await assertInvariants(
      system,
      orders.map((order) => order.orderId),
    );
  } catch (error) {
    problems.push(`invariant: ${firstLine(error)}`);
  }
  if (load.accepted().length < load.posted) problems.push(`${load.posted - load.accepted().length} valid orders never accepted`);
  if (lost.length > 0) problems.push(`${lost.length} accepted orders lost, e.g. ${lost[0]}`);
  if (pending.length > 0) problems.push(`${pending.length} orders still pending`);
  if (strays.length > 0) problems.push(`${strays.length} orders nobody placed (or whose 201 never arrived), e.g. ${strays[0].orderId}`);
  if (duplicatedOrders.size > 0)
    problems.push(`${duplicatedOrders.size} orders with a duplicated effect, e.g. ${[...duplicatedOrders][0]}`);
  if (needless > 0) problems.push(`${needless} needless compensations: ${describeCancellations(cancelled, explained)}`);
  if (load.count('4xx') > 0) problems.push(`${load.count('4xx')} valid orders answered 4xx`);
  if (load.count('5xx') > 0) problems.push(`${load.count('5xx')} POSTs answered 5xx (not 503)`);
  const expectedDeadLetters = options.expectedDeadLetters ?? 0;
  if (deadLetters.length !== expectedDeadLetters) problems.push(`${deadLetters.length} dead letters, expected ${expectedDeadLetters}`);
  if (options.checks) {
    try {
      problems.push(...(await options.checks({ orders, effects, deadLetters })));
    } catch (error) {
      problems.push(`check: ${firstLine(error)}`);
    }
  }

  const result: ScenarioResult = {
    scenario: options.scenario,
    orders: load.posted,
    accepted: accepted.length,
    lost: lost.length,
    duplicated: duplicatedOrders.size,
    deadLettered: deadLetters.length,
    needless,
    recoverMs,
    passed: problems.length === 0,
    problems,
    notes: {
      completed: orders.filter((order) => order.status === 'completed').length,
      cancelled: cancelled.length,
      explainedCancellations: explained.length,
      refused: load.count('refused'),
      cutOff: load.count('cut-off') + load.count('timeout'),
      cutOffAfterCommit: load.cutOffAfterCommit(),
      answered503: load.count('503'),
      ...options.notes,
    },
    at: new Date().toISOString(),
  };
  report(result);
  return result;
}

/** Records a scenario that could not run (e.g. its topology is missing) or broke before measuring. */
export function recordFailure(scenario: string, error: unknown): void {
  report({
    scenario,
    orders: 0,
    accepted: 0,
    lost: 0,
    duplicated: 0,
    deadLettered: 0,
    needless: 0,
    recoverMs: null,
    passed: false,
    problems: [firstLine(error)],
    notes: {},
    at: new Date().toISOString(),
  });
}

export function formatLine(result: ScenarioResult): string {
  const recovered = result.recoverMs === null ? 'n/a' : `${(result.recoverMs / 1000).toFixed(1)} s`;
  return (
    `${result.scenario}: orders ${result.orders} (${result.accepted} accepted), lost ${result.lost}, ` +
    `duplicated effects ${result.duplicated}, dead-lettered ${result.deadLettered}, needless compensations ${result.needless}, ` +
    `time to recover ${recovered} — ${result.passed ? 'passed' : `FAILED: ${result.problems.join('; ')}`}`
  );
}

function report(result: ScenarioResult): void {
  // Straight to stdout: Jest's console adds a stack frame to every line.
  process.stdout.write(`\n[faults] ${formatLine(result)}\n`);
  mkdirSync(join(ROOT, '.data'), { recursive: true });
  let rows: ScenarioResult[] = [];
  try {
    rows = JSON.parse(readFileSync(RESULTS_FILE, 'utf8')) as ScenarioResult[];
  } catch {
    // first scenario of the run
  }
  writeFileSync(RESULTS_FILE, `${JSON.stringify([...rows.filter((row) => row.scenario !== result.scenario), result], null, 2)}\n`);
}

/** Quiet: no order pending (every order terminal). */
export async function waitQuiet(system: SagaSystem, timeoutMs: number): Promise<void> {
  await eventually(
    () => request(system.url('order-service', '/orders?status=pending&limit=1')).catch(() => ({ status: 0, body: null })),
    (result) => result.status === 200 && result.body.total === 0,
    timeoutMs,
    'every order to be terminal',
  );
}

/** Every order order-service holds, with its history. */
export async function allOrders(system: SagaSystem): Promise<OrderView[]> {
  const ids: string[] = [];
  for (let offset = 0; ; offset += 100) {
    const { body } = await request<{ items: Array<{ orderId: string }>; total: number }>(
      system.url('order-service', `/orders?limit=100&offset=${offset}`),
    );
    ids.push(...body.items.map((item) => item.orderId));
    if (body.items.length < 100) break;
  }
  const orders: OrderView[] = [];
  for (let start = 0; start < ids.length; start += 16) {
    orders.push(
      ...(await Promise.all(
        ids.slice(start, start + 16).map(async (id) => (await request<OrderView>(system.url('order-service', `/orders/${id}`))).body),
      )),
    );
  }
  return orders;
}

function effectsOf(messages: RawMessage[]): Effects {
  const effects: Effects = new Map(Object.keys(ONCE_PER_ORDER).map((type) => [type, new Map()]));
  for (const message of messages) {
    const event = envelopeOf(message);
    const perOrder = event && effects.get(event.type);
    if (!event || !perOrder) continue;
    const events = perOrder.get(event.orderId) ?? [];
    if (!events.some((known) => known.eventId === event.eventId)) events.push({ eventId: event.eventId, occurredAt: event.occurredAt });
    perOrder.set(event.orderId, events);
  }
  return effects;
}

/** A step of the saga (one event type) applied twice to an order. */
function hasRepeatedStep(order: OrderView): boolean {
  const steps = order.history.map((entry) => entry.step);
  return new Set(steps).size !== steps.length;
}

function describeCancellations(cancelled: OrderView[], explained: OrderView[]): string {
  const codes = new Map<string, number>();
  for (const order of cancelled) {
    if (explained.includes(order)) continue;
    const code = order.cancellationCode ?? 'none';
    codes.set(code, (codes.get(code) ?? 0) + 1);
  }
  return [...codes].map(([code, count]) => `${count} × ${code}`).join(', ');
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n').slice(0, 3).join(' ');
}
