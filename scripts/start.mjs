#!/usr/bin/env node
// `npm start`: a Kafka broker (if none answers), then all four services in this
// terminal with prefixed logs. Ctrl-C stops the services, and the broker if this
// command started it.
// `npm run start <service>` (e.g. `PORT=3002 npm run start order-service`): that
// service alone, in the foreground, against the broker in KAFKA_BROKERS
// (default 127.0.0.1:9092; `npm run kafka:start` starts one).
import { spawn } from 'node:child_process';
import path from 'node:path';
import concurrently from 'concurrently';
import { ensureBroker, stopBroker } from './kafka.mjs';
import { build, entryPoint, ROOT, SERVICE_NAMES } from './services.mjs';

const only = process.argv[2];
if (only && !SERVICE_NAMES.includes(only)) {
  console.error(`Unknown service "${only}". Choose one of: ${SERVICE_NAMES.join(', ')}`);
  process.exit(2);
}

build();
if (only) {
  runOne(only);
} else {
  await runAll();
}

function runOne(service) {
  const child = spawn(process.execPath, [entryPoint(service)], { cwd: ROOT, stdio: 'inherit' });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code) => process.exit(code ?? 1));
}

async function runAll() {
  const { brokers, startedHere } = await ensureBroker();
  // Ctrl-C reaches the services directly (same process group); this process waits
  // for them to finish their orderly shutdown, then stops the broker it started.
  process.on('SIGINT', () => {});
  process.on('SIGTERM', () => {});
  const { result } = concurrently(
    SERVICE_NAMES.map((name) => ({
      name,
      command: `node ${path.relative(ROOT, entryPoint(name))}`,
      env: { KAFKA_BROKERS: brokers },
    })),
    { cwd: ROOT, prefix: 'name', prefixColors: ['cyan', 'magenta', 'yellow', 'green'], handleInput: false },
  );
  const failed = await result.then(
    () => false,
    () => true,
  );
  if (startedHere) await stopBroker();
  process.exit(failed ? 1 : 0);
}
