import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the page's own files live, relative to the repository root (tsc copies nothing). */
const PUBLIC_DIR = join('apps', 'analytics-service', 'public');

export interface DashboardAsset {
  readonly path: string;
  readonly type: string;
}

/**
 * The files the dashboard serves, by the name the page asks for. A fixed list, so a
 * request can only ever get one of these (no path from the URL reaches the disk).
 */
export function dashboardAssets(from = import.meta.url): {
  readonly page: DashboardAsset;
  readonly assets: ReadonlyMap<string, DashboardAsset>;
} {
  const publicDir = join(repositoryRoot(from), PUBLIC_DIR);
  const own = (file: string, type: string): DashboardAsset => ({ path: join(publicDir, file), type });
  return {
    page: own('index.html', 'text/html; charset=utf-8'),
    assets: new Map([
      ['dashboard.js', own('dashboard.js', 'text/javascript; charset=utf-8')],
      ['dashboard.css', own('dashboard.css', 'text/css; charset=utf-8')],
      ['favicon.svg', own('favicon.svg', 'image/svg+xml')],
      ['chart.umd.min.js', { path: chartJsBrowserBuild(from), type: 'text/javascript; charset=utf-8' }],
    ]),
  };
}

/**
 * The folder holding apps/analytics-service/public, found by walking up from this
 * module: the same whether it runs from the sources or from dist/, whatever the cwd.
 */
export function repositoryRoot(from: string): string {
  let dir = dirname(fileURLToPath(from));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, PUBLIC_DIR))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`dashboard: no ${PUBLIC_DIR} in any folder above ${fileURLToPath(from)}`);
    dir = parent;
  }
}

/**
 * Chart.js's self-contained browser build (UMD, defines window.Chart), straight from
 * node_modules. The package's `exports` only opens ".", "./auto" and "./helpers", so
 * resolve the package's main entry (dist/chart.cjs) and take its sibling.
 */
function chartJsBrowserBuild(from: string): string {
  const main = createRequire(from).resolve('chart.js');
  return join(dirname(main), 'chart.umd.min.js');
}
