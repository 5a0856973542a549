// The four services and how to build and launch them; shared by start.mjs and test.mjs.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export const SERVICES = {
  'order-service': 3002,
  'payment-service': 3003,
  'inventory-service': 3004,
  'analytics-service': 3005,
};

export function entryPoint(service) {
  return path.join(ROOT, 'dist', 'apps', service, 'src', 'main.js');
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
