import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from './http.js';
import { freePort, SERVICE_NAMES, type SagaSystem } from './saga-system.js';

const MISSING =
  "is not installed: the metrics tests check the services with a real Prometheus. Install Debian's package: apt-get install prometheus (.ci/run does)";

/** The value of one sample in Prometheus' text format: `name` with at least `labels`; the sum if several match, undefined if none. */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  let sum: number | undefined;
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const present = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map(([, key, value]) => [key, value]));
    if (Object.entries(labels).every(([key, value]) => present[key] === value)) sum = (sum ?? 0) + Number(match[3]);
  }
  return sum;
}

/** Runs promtool (`input` on its stdin); resolves to what it printed, and throws if it found a problem. */
export function promtool(args: string[], input = ''): string {
  const result = spawnSync('promtool', args, { input, encoding: 'utf8' });
  if (result.error) throw new Error(`promtool ${MISSING}`);
  const printed = `${result.stdout}${result.stderr}`.trim();
  if (result.status !== 0) throw new Error(`promtool ${args.join(' ')} exited with ${result.status}: ${printed}`);
  return printed;
}

/** A Prometheus server of the test's own that scrapes the four services every second. */
export class PrometheusServer {
  private constructor(
    private readonly process: ChildProcess,
    readonly url: string,
  ) {}

  static async start(system: SagaSystem): Promise<PrometheusServer> {
    const folder = mkdtempSync(join(tmpdir(), 'e2e-prometheus-'));
    const targets = SERVICE_NAMES.map((name) => new URL(system.url(name)).host);
    writeFileSync(
      join(folder, 'prometheus.yml'),
      `global: { scrape_interval: 1s, scrape_timeout: 1s }\nscrape_configs:\n  - job_name: saga\n    static_configs:\n      - targets: ${JSON.stringify(targets)}\n`,
    );
    const port = await freePort();
    const child = spawn(
      'prometheus',
      [
        `--config.file=${join(folder, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(folder, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let log = '';
    child.stderr.on('data', (chunk: Buffer) => (log += chunk.toString()));
    const started = new Promise<void>((done, fail) => {
      child.once('error', () => fail(new Error(`prometheus ${MISSING}`)));
      child.once('spawn', done);
    });
    await started;
    const server = new PrometheusServer(child, `http://127.0.0.1:${port}`);
    await eventually(
      () =>
        fetch(`${server.url}/-/ready`).then(
          (response) => response.ok,
          () => false,
        ),
      (ready) => ready || child.exitCode !== null,
      30_000,
      'Prometheus to be ready',
    );
    if (child.exitCode !== null) throw new Error(`prometheus exited with ${child.exitCode}:\n${log}`);
    return server;
  }

  /** An instant query through the HTTP API: each series' labels and value. */
  async query(promql: string): Promise<Array<{ metric: Record<string, string>; value: number }>> {
    const response = await fetch(`${this.url}/api/v1/query?query=${encodeURIComponent(promql)}`);
    const body = (await response.json()) as {
      status: string;
      error?: string;
      data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> };
    };
    if (body.status !== 'success') throw new Error(`Prometheus refused ${promql}: ${body.error}`);
    return body.data.result.map(({ metric, value }) => ({ metric, value: Number(value[1]) }));
  }

  stop(): Promise<void> {
    if (this.process.exitCode !== null) return Promise.resolve();
    const exited = new Promise<void>((done) => this.process.once('exit', () => done()));
    this.process.kill('SIGTERM');
    return exited;
  }
}
