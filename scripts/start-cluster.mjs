#!/usr/bin/env node
// `npm run start:cluster`: the scale-out topology on this machine. PostgreSQL (one
// database per service, in .data/postgres), a three-broker Kafka cluster, and two
// instances of every service, with prefixed logs in this terminal. Ctrl-C stops all
// of it (the brokers and PostgreSQL only if this command started them).
//
//   instance 1 of each service on its usual port (order 3002, payment 3003, inventory 3004, analytics 3005)
//   instance 2 on that port + 10 (3012, 3013, 3014, 3015)
//   Kafka on 127.0.0.1:9092,9094,9096; PostgreSQL on 127.0.0.1:5433
//
// INSTANCES=1..3 sets the number of instances per service (3 is the partition count:
// a fourth instance would get no partition).
import path from 'node:path';
import concurrently from 'concurrently';
import { ensureBroker, stopBroker } from './kafka.mjs';
import { createDatabase, ensurePostgres, stopPostgres } from './postgres.mjs';
import { build, entryPoint, ROOT, serviceDefinitions } from './services.mjs';

const INSTANCES = Number(process.env.INSTANCES ?? 2);
const INSTANCE_PORT_STEP = 10;
if (!Number.isInteger(INSTANCES) || INSTANCES < 1 || INSTANCES > 3) {
  console.error('INSTANCES must be 1, 2 or 3 (the topics have 3 partitions).');
  process.exit(2);
}

build();
const services = await serviceDefinitions();
const postgres = await ensurePostgres();
const databases = new Map();
for (const { name } of services) databases.set(name, await createDatabase(postgres.url, name.replaceAll('-', '_')));
const kafka = await ensureBroker({ count: 3 });

const commands = services.flatMap(({ name, port }) =>
  Array.from({ length: INSTANCES }, (_, index) => ({
    name: `${name.replace('-service', '')}-${index + 1}`,
    command: `node ${path.relative(ROOT, entryPoint(name))}`,
    env: {
      PORT: String(port + index * INSTANCE_PORT_STEP),
      DATABASE_URL: databases.get(name),
      KAFKA_BROKERS: kafka.brokers,
      DATA_DIR: path.join('.data', 'cluster', `${name}-${index + 1}`),
    },
  })),
);
console.log(`Starting ${commands.length} service instances: ${commands.map(({ name, env }) => `${name} :${env.PORT}`).join(', ')}`);
const { result, commands: running } = concurrently(commands, { cwd: ROOT, prefix: 'name', handleInput: false });
// A signal to this process (Ctrl-C also reaches the services directly) is passed on; this
// process waits for their orderly shutdown, then stops what it started.
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => running.forEach((command) => command.kill(signal)));
const failed = await result.then(
  () => false,
  () => true,
);
if (kafka.startedHere) await stopBroker();
if (postgres.startedHere) await stopPostgres();
process.exit(failed ? 1 : 0);
