import { randomUUID } from 'node:crypto';
import type { SagaMode } from '#contracts';
import { resolve } from 'node:path';
import { getAnalytics, request } from '../e2e/support/http.js';
import { consumersOf } from '../e2e/support/consumers.js';
import { SagaSystem, SERVICE_NAMES, sleep, type ServiceName } from '../e2e/support/saga-system.js';
import { abuse, installSchemathesis, runSchemathesis } from './support/abuse.js';
import {
  brokerCount,
  caughtUp,
  injectPoison,
  killAndRestartBroker,
  replayFromEarliest,
  unpublishedOutboxRows,
  type Poison,
} from './support/inject.js';
import { Load } from './support/load.js';
import { measure, type MeasureOptions, type OrderView } from './support/measure.js';
import { FAULT_ORDERS, QUICK, faultEnv, scenario } from './support/scenario.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const SAGA_TIMEOUT_MS = 60_000;
/** Hostile requests per endpoint in scenario 6. */
const ABUSE_REQUESTS = Number(process.env.FAULT_ABUSE_REQUESTS ?? (QUICK ? 200 : 1_000));

/**
 * The fault suite (`npm run test:faults`, docs/reliability.md): each scenario runs
 * FAULT_ORDERS orders (default 300) through a fresh copy of the four services on the
 * real broker, injects its fault while they are in flight, waits until quiet, checks
 * every invariant of the saga and prints one line. Failure rates are 0, so every
 * accepted order must complete unless the scenario's fault explains its cancellation.
 */
describe('fault suite', () => {
  scenario('1 SIGKILL each service mid-load, restart at once', { quick: true, quickOrchestrated: true }, async (name, mode) => {
    const system = await SagaSystem.start({ env: faultEnv(mode, { SAGA_TIMEOUT_MS: String(SAGA_TIMEOUT_MS) }) });
    try {
      const load = loadFor(system, 70_000);
      let faultEndedAt = 0;
      for (const [index, name] of SERVICE_NAMES.entries()) {
        await load.untilFraction(0.1 + 0.2 * index);
        await system.stopService(name, 'SIGKILL');
        await system.startService(name);
        faultEndedAt = Date.now();
      }
      return await measure(
        system,
        common(name, load, () => faultEndedAt),
      );
    } finally {
      await system.stop();
    }
  });

  scenario('3 restart order-service close to many saga deadlines', { quick: false }, async (name, mode) => {
    const timeoutMs = 40_000;
    const system = await SagaSystem.start({ env: faultEnv(mode, { SAGA_TIMEOUT_MS: String(timeoutMs) }) });
    try {
      // Inventory is away while the orders are placed and paid: they all wait for their reservation.
      await system.stopService('inventory-service');
      const firstAt = Date.now();
      const load = loadFor(system, 12_000);
      await load.done;
      await sleep(Math.max(0, firstAt + timeoutMs - 10_000 - Date.now()));
      const pendingAtKill = (await request(system.url('order-service', '/orders?status=pending&limit=1'))).body.total as number;
      // order-service crashes 10 s before the first deadline; inventory comes back meanwhile and reserves them all
      // before their deadlines, while order-service's consumer only rejoins (10 s session) as the deadlines pass.
      const killedAt = Date.now();
      await system.stopService('order-service', 'SIGKILL');
      await Promise.all([system.startService('inventory-service'), system.startService('order-service')]);
      const faultEndedAt = Date.now();
      const reservedInTime = (order: OrderView, reservations: Array<{ occurredAt: string }> | undefined) =>
        (reservations ?? []).some((event) => Date.parse(event.occurredAt) < Date.parse(order.createdAt) + timeoutMs);
      return await measure(system, {
        ...common(name, load, () => faultEndedAt, timeoutMs),
        // A timeout is needless when the reservation reached Kafka before the deadline.
        explains: (order, effects) =>
          order.cancellationCode === 'SAGA.TIMEOUT' && !reservedInTime(order, effects.get('InventoryReserved')?.get(order.orderId)),
        checks: ({ orders }) => {
          const deadlinesDuringRestart = orders.filter((order) => {
            const deadline = Date.parse(order.createdAt) + timeoutMs;
            return deadline >= killedAt && deadline <= faultEndedAt + 5_000;
          }).length;
          return pendingAtKill > 0 && deadlinesDuringRestart > 0
            ? []
            : [
                `${pendingAtKill} orders pending at the crash, ${deadlinesDuringRestart} deadlines during the restart: the scenario tested nothing`,
              ];
        },
        notes: { pendingAtKill, restartMs: faultEndedAt - killedAt },
      });
    } finally {
      await system.stop();
    }
  });

  scenario('4 replay: every group back to the earliest offset', { quick: false }, async (name, mode) => {
    const system = await SagaSystem.start({ env: faultEnv(mode, { SAGA_TIMEOUT_MS: String(SAGA_TIMEOUT_MS) }) });
    try {
      const load = loadFor(system, 70_000);
      const rewound: Record<string, number> = {};
      let faultEndedAt = 0;
      for (const [index, name] of SERVICE_NAMES.entries()) {
        await load.untilFraction(0.25 + 0.15 * index);
        rewound[name] = await replayFromEarliest(system, name);
        faultEndedAt = Date.now();
      }
      return await measure(system, {
        ...common(name, load, () => faultEndedAt),
        checks: async () => {
          const problems = Object.entries(rewound)
            .filter(([, count]) => count === 0)
            .map(([name]) => `${name} had nothing to replay`);
          for (const name of SERVICE_NAMES) {
            // Analytics resumes from the offsets its own snapshot covers (it skips what it has applied) and commits
            // only what changes its state: it has caught up when it reports no lag.
            const done =
              name === 'analytics-service'
                ? await getAnalytics(system).then((analytics) => analytics.lag === 0 && analytics.catchingUp === false)
                : await caughtUp(system, name);
            if (!done) problems.push(`${name} did not read its history again`);
          }
          return problems;
        },
        notes: { replayed: rewound },
      });
    } finally {
      await system.stop();
    }
  });

  scenario('5 poison messages from an independent client', { quick: true }, async (name, mode) => {
    const system = await SagaSystem.start({ env: faultEnv(mode, { SAGA_TIMEOUT_MS: String(SAGA_TIMEOUT_MS) }) });
    try {
      const load = loadFor(system, 30_000);
      await load.untilFraction(0.3);
      const poison = poisonFor(system, mode);
      const client = await injectPoison(system, poison);
      const faultEndedAt = Date.now();
      const expected = poison.reduce((sum, message) => sum + consumersOf(message.topic, mode).length, 0);
      return await measure(system, {
        ...common(name, load, () => faultEndedAt),
        expectedDeadLetters: expected,
        checks: ({ deadLetters }) => {
          const problems: string[] = [];
          for (const message of poison) {
            for (const service of consumersOf(message.topic, mode)) {
              const letter = deadLetters.find(
                (letter) => letter.headers['dlq-service']?.toString() === service && sameMessage(letter, message),
              );
              if (!letter) problems.push(`${message.name} not dead-lettered byte for byte by ${service}`);
            }
          }
          const strays = deadLetters.filter((letter) => !poison.some((message) => sameMessage(letter, message)));
          if (strays.length > 0) problems.push(`${strays.length} dead letters that are no poison message (or changed bytes)`);
          return problems;
        },
        notes: { client, poison: poison.map((message) => message.name) },
      });
    } finally {
      await system.stop();
    }
  });

  scenario('6 HTTP abuse on every endpoint', { quick: true }, async (name, mode) => {
    void installSchemathesis(ROOT); // while the system starts and the load runs
    const system = await SagaSystem.start({ env: faultEnv(mode, { SAGA_TIMEOUT_MS: String(SAGA_TIMEOUT_MS) }) });
    try {
      const load = loadFor(system, 40_000);
      await load.untilFraction(0.1);
      const reports = await abuse(system, ABUSE_REQUESTS);
      const faultEndedAt = Date.now();
      const schemathesis = await runSchemathesis(system, ROOT);
      if (schemathesis.skipped) process.stdout.write(`\n[faults] schemathesis skipped: ${schemathesis.skipped}\n`);
      return await measure(system, {
        ...common(name, load, () => faultEndedAt),
        // schemathesis places orders of its own making (any product, and users it read from the API): they must end like any other.
        placedByOthers: (order) => !load.mayHavePlaced(order),
        checks: () => [
          ...reports.flatMap((report) => distinct(report.serverErrors).map((error) => `${report.endpoint}: ${error}`)),
          ...reports.flatMap((report) => distinct(report.accepted).map((made) => `${report.endpoint} accepted ${made}`)),
          ...reports
            .filter((report) => report.unanswered.length > 0)
            .map((r) => `${r.endpoint}: ${r.unanswered.length} unanswered, e.g. ${r.unanswered[0]}`),
          ...reports.filter((report) => report.sent < ABUSE_REQUESTS).map((report) => `${report.endpoint}: only ${report.sent} sent`),
          ...schemathesis.failures,
        ],
        notes: {
          hostileRequests: reports.reduce((sum, report) => sum + report.sent, 0),
          endpoints: reports.length,
          serverErrors: reports.reduce((sum, report) => sum + report.serverErrors.length, 0),
          statuses: Object.fromEntries(reports.map((report) => [report.endpoint, report.statuses])),
          schemathesis: schemathesis.skipped ? `skipped: ${schemathesis.skipped}` : `${schemathesis.failures.length} failures`,
        },
      });
    } finally {
      await system.stop();
    }
  });

  scenario('7 a participant down longer than the saga timeout', { quick: true, quickOrchestrated: true }, async (name, mode) => {
    const timeoutMs = 10_000;
    const system = await SagaSystem.start({ env: faultEnv(mode, { SAGA_TIMEOUT_MS: String(timeoutMs) }) });
    try {
      const load = loadFor(system, 45_000);
      await load.untilFraction(0.2);
      const downAt = Date.now();
      await system.stopService('inventory-service', 'SIGKILL');
      await sleep(timeoutMs + 8_000);
      await system.startService('inventory-service');
      const upAt = Date.now();
      return await measure(system, {
        ...common(name, load, () => upAt, timeoutMs),
        // The orders whose deadline passed while inventory was away are cancelled (and refunded): that is the saga's job.
        explains: (order) =>
          order.cancellationCode === 'SAGA.TIMEOUT' &&
          Date.parse(order.createdAt) >= downAt - timeoutMs &&
          Date.parse(order.createdAt) <= upAt + 3_000,
        checks: async ({ orders }) => {
          const timedOut = orders.filter((order) => order.cancellationCode === 'SAGA.TIMEOUT').length;
          const problems = timedOut > 0 ? [] : ['no saga timed out: the participant was not down long enough to test anything'];
          if (!(await caughtUp(system, 'inventory-service'))) problems.push('inventory-service has not caught up');
          return problems;
        },
        notes: { downMs: upAt - downAt },
      });
    } finally {
      await system.stop();
    }
  });

  scenario('8 SIGTERM each service mid-load: clean drain', { quick: true }, async (name, mode) => {
    const system = await SagaSystem.start({ env: faultEnv(mode, { SAGA_TIMEOUT_MS: String(SAGA_TIMEOUT_MS) }) });
    try {
      const load = loadFor(system, 70_000);
      const stops: Array<{ service: ServiceName; code: number | null; exitMs: number; unpublished: number | null }> = [];
      let faultEndedAt = 0;
      for (const [index, name] of SERVICE_NAMES.entries()) {
        await load.untilFraction(0.1 + 0.2 * index);
        const signalledAt = Date.now();
        const code = await system.stopService(name, 'SIGTERM');
        const exitMs = Date.now() - signalledAt;
        // What it committed and left unpublished would wait for its next start.
        stops.push({ service: name, code, exitMs, unpublished: name === 'analytics-service' ? null : unpublishedOutboxRows(system, name) });
        await system.startService(name);
        faultEndedAt = Date.now();
      }
      return await measure(system, {
        ...common(name, load, () => faultEndedAt),
        checks: () => [
          ...stops.filter((stop) => stop.code !== 0).map((stop) => `${stop.service} exited with ${stop.code} on SIGTERM`),
          ...stops
            .filter((stop) => (stop.unpublished ?? 0) > 0)
            .map((stop) => `${stop.service} left ${stop.unpublished} outbox rows for its next start`),
          ...stops.filter((stop) => stop.exitMs > 30_000).map((stop) => `${stop.service} took ${stop.exitMs} ms to stop`),
          ...(load.cutOffAfterCommit() > 0 ? [`${load.cutOffAfterCommit()} POSTs committed whose 201 was cut off`] : []),
        ],
        notes: { stops },
      });
    } finally {
      await system.stop();
    }
  });

  // Last: the broker is shared with whatever else runs on this machine, and every later scenario would start on a broker just back.
  scenario('2 SIGKILL the broker mid-load, restart it', { quick: true, alone: true }, async (name, mode) => {
    const system = await SagaSystem.start({ env: faultEnv(mode, { SAGA_TIMEOUT_MS: String(SAGA_TIMEOUT_MS) }) });
    try {
      const brokers = await brokerCount(system.brokers);
      const load = loadFor(system, 40_000);
      await load.untilFraction(0.3);
      const { downMs } = await killAndRestartBroker(system.brokers, brokers, 1);
      const faultEndedAt = Date.now();
      return await measure(system, { ...common(name, load, () => faultEndedAt), notes: { brokerDownMs: downMs } });
    } finally {
      await system.stop();
    }
  });
});

/** Each distinct entry once, with how often it occurred. */
function distinct(entries: string[]): string[] {
  const counts = new Map<string, number>();
  for (const entry of entries) counts.set(entry, (counts.get(entry) ?? 0) + 1);
  return [...counts].map(([entry, count]) => `${count} × ${entry}`);
}

function loadFor(system: SagaSystem, durationMs: number): Load {
  const urls = Array.from({ length: system.instances }, (_, instance) => system.url('order-service', '', instance));
  return new Load({ orders: FAULT_ORDERS, durationMs, urls: () => urls, keyPrefix: `${system.prefix}order-` });
}

function common(name: string, load: Load, faultEndedAt: () => number, timeoutMs = SAGA_TIMEOUT_MS): MeasureOptions {
  return { scenario: name, load, faultEndedAt, quietTimeoutMs: timeoutMs + 120_000 };
}

/** Six kinds of poison, each with a header that looks like JSON (the bytes must survive too). */
function poisonFor(system: SagaSystem, mode: SagaMode): Poison[] {
  const orderId = randomUUID();
  const envelope = (type: string, payload: unknown) =>
    Buffer.from(
      JSON.stringify({
        eventId: randomUUID(),
        type,
        version: 1,
        occurredAt: new Date().toISOString(),
        correlationId: orderId,
        causationId: null,
        payload,
      }),
    );
  const headers = { 'x-poison': '{"json":"looking","n":[1,2]}', 'x-trace': 'trace-1' };
  // Orchestrated, payment and inventory read commands: poison those topics too.
  const commands: Poison[] = [
    {
      name: 'a command that breaks the schema',
      topic: system.topic('payment.charge'),
      partition: 0,
      key: Buffer.from(orderId),
      value: envelope('ChargePayment', { orderId, userId: 'u', items: [], totalCents: 100 }),
      headers,
    },
    {
      name: 'invalid JSON on a command topic',
      topic: system.topic('inventory.reserve'),
      partition: 1,
      key: Buffer.from('poison-command'),
      value: Buffer.from('{"type": "ReserveStock", '),
      headers,
    },
  ];
  return [
    ...(mode === 'orchestrated' ? commands : []),
    {
      name: 'invalid JSON (with bytes that are not UTF-8)',
      topic: system.topic('order.created'),
      partition: 0,
      key: Buffer.from('poison-invalid-json'),
      value: Buffer.concat([Buffer.from('{"eventId": oops '), Buffer.from([0xff, 0xfe, 0x00, 0xc3, 0x28])]),
      headers,
    },
    {
      name: 'valid JSON that breaks the schema',
      topic: system.topic('order.created'),
      partition: 1,
      key: Buffer.from(orderId),
      value: envelope('OrderCreated', {
        orderId,
        userId: 'u',
        items: [{ productId: 'prod-1', quantity: -5, unitPriceCents: 100 }],
        totalCents: 100,
      }),
      headers,
    },
    {
      name: 'unknown event type',
      topic: system.topic('order.created'),
      partition: 2,
      key: Buffer.from(orderId),
      value: envelope('OrderTeleported', { orderId, to: 'mars' }),
      headers,
    },
    {
      name: 'empty value',
      topic: system.topic('payment.completed'),
      partition: 0,
      key: Buffer.from('poison-empty'),
      value: Buffer.alloc(0),
      headers,
    },
    {
      name: 'null value (tombstone)',
      topic: system.topic('payment.completed'),
      partition: 1,
      key: Buffer.from('poison-null'),
      value: Buffer.alloc(0),
      headers,
      nullValue: true,
    },
    {
      name: 'value near the broker size limit (1,000,000 bytes)',
      topic: system.topic('order.cancelled'),
      partition: 0,
      key: Buffer.from('poison-big'),
      value: Buffer.from(`{"pad":"${'x'.repeat(1_000_000 - 10)}"}`),
      headers,
    },
    {
      name: 'JSON-looking key',
      topic: system.topic('payment.completed'),
      partition: 2,
      key: Buffer.from(`{"orderId":"${orderId}","$where":"1"}`),
      value: Buffer.from('[1,2,3]'),
      headers,
    },
  ];
}

/** A dead letter is the poison message when value, key and every original header are the same bytes, from the same topic. */
function sameMessage(letter: { key: Buffer | null; value: Buffer | null; headers: Record<string, Buffer> }, message: Poison): boolean {
  const value = message.nullValue ? null : message.value;
  const sameValue = value === null ? letter.value === null : letter.value !== null && letter.value.equals(value);
  const sameKey = message.key === null ? letter.key === null : letter.key !== null && letter.key.equals(message.key);
  const sameHeaders = Object.entries(message.headers).every(([name, bytes]) => letter.headers[name]?.equals(Buffer.from(bytes)) ?? false);
  return sameValue && sameKey && sameHeaders && letter.headers['dlq-topic']?.toString() === message.topic;
}
