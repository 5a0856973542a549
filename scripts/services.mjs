// The services and how to build and launch them; shared by start.mjs, test.mjs, the benches and CI.
// A service is a folder of apps/ whose src/<name>.definition.ts defines it (name, default port, ...).
// `node scripts/services.mjs ports` prints the default ports, one per line (after a build).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The service names: the folders of apps/. */
export const SERVICE_NAMES = fs
  .readdirSync(path.join(ROOT, 'apps'), { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name)
  .sort((a, b) => servicesOrder(a) - servicesOrder(b));

/** The saga's order: order, payment, inventory, then analytics (and any other service after them). */
function servicesOrder(name) {
  const known = ['order-service', 'payment-service', 'inventory-service', 'analytics-service'].indexOf(name);
  return known === -1 ? Number.MAX_SAFE_INTEGER : known;
}

export function entryPoint(service) {
  return path.join(ROOT, 'dist', 'apps', service, 'src', 'main.js');
}

/** Each service's definition, from the build: `[{ name, port, ... }]`. */
export async function serviceDefinitions() {
  return Promise.all(
    SERVICE_NAMES.map(async (service) => {
      const file = path.join(ROOT, 'dist', 'apps', service, 'src', `${service}.definition.js`);
      const exports = await import(pathToFileURL(file).href);
      const definition = Object.values(exports).find((value) => value && typeof value === 'object' && value.name === service);
      if (!definition) throw new Error(`${path.relative(ROOT, file)} defines no service named ${service}`);
      return definition;
    }),
  );
}

/** Compiles the TypeScript (incremental: fast after the first time). Exits on a type error. */
export function build(log = console.log) {
  log('Compiling TypeScript (tsc -p tsconfig.build.json)...');
  const result = spawnSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  if (result.status !== 0) {
    console.error('The build failed; fix the errors above and try again.');
    process.exit(result.status ?? 1);
  }
}

/**
 * When the Kafka consumer of the service on `port` last joined its group (epoch ms), as its GET /health says once it
 * answers ready. Time a backlog from it: a service busy reading one may answer the probe much later than it joined.
 * `until(condition)` is the caller's poll loop (its deadline, its check that the process still runs).
 */
export async function consumerJoinedAt(port, until) {
  let health;
  await until(async () => {
    const response = await fetch(`http://127.0.0.1:${port}/health`).catch(() => null);
    return response?.ok && (health = await response.json());
  });
  return Date.parse(health.info.kafka.joinedAt);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href && process.argv[2] === 'ports') {
  for (const { port } of await serviceDefinitions()) console.log(port);
}
