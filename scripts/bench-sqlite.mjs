#!/usr/bin/env node
// `npm run bench:sqlite`: what a commit on SQLite costs the event loop, with the WAL's checkpoints
// where SQLite puts them (at the end of the commit that filled the WAL: a copy of ~1,000 pages and
// two fsyncs, on the event loop) and on the worker thread the services use (sqlite-checkpointer.ts).
// Both in one run, in turns, on order-service's schema: at a fixed rate, each commit is what
// POST /orders writes (the order, its history line, its outbox row), through the project's Database.
// Nothing else runs: no broker, no HTTP.
//
//   BENCH_RATE     commits per second (default 400)
//   BENCH_SECONDS  per turn (default 15); each mode gets two turns, alternating
//
// Prints, per mode: commit wall time p50 / p99 / p99.9 / max, the event loop's delay (p99, max:
// what a request or consumed event waiting behind a commit waits), commits over 2 ms, the largest
// the WAL grew, and the process's CPU per commit (its threads together).
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { build, ROOT } from './services.mjs';

const RATE = Number(process.env.BENCH_RATE ?? 400);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 15);
const MODES = ['in-commit', 'worker'];

build();
const load = (path) => import(pathToFileURL(join(ROOT, 'dist', path)).href);
const { openDatabase } = await load('libs/database/src/index.js');
const { ORDER_MIGRATIONS } = await load('apps/order-service/src/orders/orders.migrations.js');
const { OUTBOX_TABLE, INBOX_TABLE, OutboxStore } = await load('libs/messaging/src/index.js');
const { Topics } = await load('libs/contracts/src/index.js');
const { OrdersRepository } = await load('apps/order-service/src/orders/orders.repository.js');
const { placeOrder } = await load('apps/order-service/src/orders/order.domain.js');
const ITEMS = [{ productId: 'prod-1', quantity: 1, unitPriceCents: 6000 }];

const results = Object.fromEntries(MODES.map((mode) => [mode, []]));
for (let turn = 0; turn < 2; turn++) for (const mode of MODES) results[mode].push(await commitAtRate(mode));

console.log(`\nSQLite commits at ${RATE}/s, ${SECONDS} s a turn, two turns a mode (order-service's schema, one POST /orders each)`);
console.table(
  MODES.flatMap((mode) =>
    results[mode].map((r, turn) => ({
      checkpoints: mode,
      turn: turn + 1,
      commits: r.commits,
      'commit p50 (µs)': r.p50,
      'p99 (µs)': r.p99,
      'p99.9 (µs)': r.p999,
      'max (µs)': r.max,
      'over 2 ms': r.over2ms,
      'loop delay p99 / max (ms)': `${r.loopP99} / ${r.loopMax}`,
      'WAL max (MB)': r.walMb,
      'CPU per commit (µs)': r.cpuUs,
    })),
  ),
);
console.log(
  'commit: wall time of the transaction on the event loop; loop delay: how late a timer fired (a request behind a commit waits as long).',
);

/** One turn: a fresh database, `RATE` commits a second for `SECONDS`, spread over 10 ms ticks. */
async function commitAtRate(checkpoints) {
  const dir = mkdtempSync(join(tmpdir(), 'bench-sqlite-'));
  const file = join(dir, 'order-service.db');
  const database = await openDatabase({
    sqliteFile: file,
    migrations: ORDER_MIGRATIONS,
    plumbing: [OUTBOX_TABLE, INBOX_TABLE],
    checkpoints,
  });
  const times = [];
  let walBytes = 0;
  const loop = monitorEventLoopDelay({ resolution: 1 });
  const orders = new OrdersRepository(database);
  const outbox = new OutboxStore(database, new Topics(''));
  // What OrdersService.place writes for an order without an Idempotency-Key, through the same repository and outbox.
  const place = () =>
    database.transaction(async () => {
      const { order, created } = placeOrder(randomUUID(), 'user-1', ITEMS, new Date());
      await orders.insert(order, null, null);
      await orders.recordSteps([{ event: created, detail: null }]);
      await outbox.add([created]);
    });
  try {
    await sleep(200); // the worker thread starts
    const cpu = process.cpuUsage();
    loop.enable();
    const perTick = RATE / 100;
    const ticks = SECONDS * 100;
    const started = performance.now();
    for (let tick = 0; tick < ticks; tick++) {
      for (let i = 0; i < perTick; i++) {
        const at = performance.now();
        await place();
        times.push((performance.now() - at) * 1000);
      }
      walBytes = Math.max(walBytes, statSync(`${file}-wal`).size);
      const next = started + (tick + 1) * 10;
      await sleep(Math.max(0, next - performance.now()));
    }
    loop.disable();
    const used = process.cpuUsage(cpu);
    times.sort((a, b) => a - b);
    const at = (q) => Math.round(times[Math.min(times.length - 1, Math.floor(q * times.length))]);
    return {
      commits: times.length,
      p50: at(0.5),
      p99: at(0.99),
      p999: at(0.999),
      max: Math.round(times.at(-1)),
      over2ms: times.filter((t) => t > 2000).length,
      loopP99: (loop.percentile(99) / 1e6).toFixed(1),
      loopMax: (loop.max / 1e6).toFixed(1),
      walMb: (walBytes / 1e6).toFixed(1),
      cpuUs: Math.round((used.user + used.system) / times.length),
    };
  } finally {
    await database.close();
    await sleep(100);
    rmSync(dir, { recursive: true, force: true });
  }
}
