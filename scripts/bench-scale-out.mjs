#!/usr/bin/env node
// `npm run bench:scale-out`: completed sagas per second through a running topology,
// for comparing one instance per service with two (docs/scaling.md). Start the
// topology first, e.g. `INSTANCES=1 npm run start:cluster` or `npm run start:cluster`.
//
//   ORDER_URLS   the order-service instances, POSTs go round-robin
//                (default http://127.0.0.1:3002,http://127.0.0.1:3012; the ones that answer are used)
//   ORDERS       orders to place (default 1500)
//   CONCURRENCY  POSTs in flight at once (default 32)
//
// It measures from the first POST until no order is pending, and prints one line.
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

const ORDERS = Number(process.env.ORDERS ?? 1500);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 32);
const candidates = (process.env.ORDER_URLS ?? 'http://127.0.0.1:3002,http://127.0.0.1:3012').split(',');
const urls = [];
for (const url of candidates)
  if (
    await fetch(`${url}/health`).then(
      (r) => r.ok,
      () => false,
    )
  )
    urls.push(url);
if (urls.length === 0) {
  console.error(`No order-service answers at ${candidates.join(', ')}: start the topology first.`);
  process.exit(2);
}

const order = { userId: 'bench', items: [{ productId: 'prod-2', quantity: 1, price: 9.99 }] };
const latencies = [];
let next = 0;
const started = performance.now();
await Promise.all(
  Array.from({ length: CONCURRENCY }, async () => {
    for (let n = next++; n < ORDERS; n = next++) {
      const sent = performance.now();
      const response = await fetch(`${urls[n % urls.length]}/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(order),
      });
      if (response.status !== 201) throw new Error(`POST /orders answered ${response.status}`);
      await response.arrayBuffer();
      latencies.push(performance.now() - sent);
    }
  }),
);
const posted = performance.now();
const pending = async () => (await (await fetch(`${urls[0]}/orders?status=pending&limit=1`)).json()).total;
while ((await pending()) > 0) await sleep(50);
const finished = performance.now();

latencies.sort((a, b) => a - b);
const at = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))].toFixed(0);
console.log(
  `${ORDERS} orders through ${urls.length} order-service instance(s): ` +
    `${(ORDERS / ((finished - started) / 1000)).toFixed(0)} sagas/s to the last terminal state ` +
    `(${((finished - started) / 1000).toFixed(1)} s; all posted after ${((posted - started) / 1000).toFixed(1)} s); ` +
    `POST p50 ${at(0.5)} ms, p99 ${at(0.99)} ms`,
);
