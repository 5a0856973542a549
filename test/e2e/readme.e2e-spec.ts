import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { runCommand } from './support/run-command.js';
import { SagaSystem, type ServiceName } from './support/saga-system.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const README = join(ROOT, 'README.md');

/** The service of each default port, as the README's commands address them. */
const DEFAULT_PORTS: Record<string, ServiceName> = {
  '3002': 'order-service',
  '3003': 'payment-service',
  '3004': 'inventory-service',
  '3005': 'analytics-service',
};

/**
 * How a shell block of the README is kept true, said in an HTML comment on the line before it:
 * - `<!-- readme-check: run -->`: this file runs it, as written, against a running system;
 * - `<!-- readme-check: by <file> -->`: that test or script runs the same commands (checked
 *   here: only that the file exists; that it covers the block is for a reviewer to keep true);
 * - `<!-- readme-check: not run: <why> -->`: nothing here can run it, and the README says why.
 */
interface ShellBlock {
  readonly line: number;
  readonly check: string | undefined;
  readonly script: string;
}

function shellBlocks(markdown: string): ShellBlock[] {
  const lines = markdown.split('\n');
  const blocks: ShellBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!/^```(bash|sh|shell)\s*$/.test(lines[i])) continue;
    const end = lines.indexOf('```', i + 1);
    const check = /^<!-- readme-check: (.+?) -->$/.exec(lines[i - 1] ?? '')?.[1];
    blocks.push({ line: i + 1, check, script: lines.slice(i + 1, end).join('\n') });
    i = end;
  }
  return blocks;
}

/** Runs a block with bash, stopping at its first failing command; curl fails on an HTTP error too. */
function runBlock(script: string, env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const prelude = 'set -euo pipefail\ncurl() { command curl --silent --show-error --fail-with-body "$@"; echo; }\n';
  return runCommand('bash', ['-c', prelude + script], env);
}

/** Every shell block of the README that a reader is told to run is run by a test (this one or the one it names). */
describe('README shell blocks', () => {
  const blocks = shellBlocks(readFileSync(README, 'utf8'));

  it('each says how it is kept true, and what it names exists', () => {
    expect(blocks.length).toBeGreaterThan(5);
    for (const { line, check } of blocks) {
      expect([line, check]).toEqual([line, expect.stringMatching(/^(run|by \S+|not run: .+)$/)]);
      const file = /^by (\S+)$/.exec(check!)?.[1];
      if (file) expect([line, file, existsSync(join(ROOT, file))]).toEqual([line, file, true]);
    }
  });

  describe('run against a running system', () => {
    let system: SagaSystem;
    beforeAll(async () => {
      // No simulated failures: every command of the tour then has something to show (a payment, a reservation).
      system = await SagaSystem.start({ env: { PAYMENT_FAILURE_RATE: '0', INVENTORY_FAILURE_RATE: '0' } });
    });
    afterAll(() => system?.stop());

    const runnable = blocks.filter(({ check }) => check === 'run');

    it.each(runnable.map((block) => [block.line, block] as const))('the block at README.md line %i', async (_line, block) => {
      // The README addresses the default ports; this system has its own.
      const script = block.script.replace(/(localhost|127\.0\.0\.1):(300[2-5])\b/g, (_match, _host, port: string) =>
        system.url(DEFAULT_PORTS[port]).replace('http://', ''),
      );
      const { code, output } = await runBlock(script, {
        ORDER_URL: system.url('order-service'),
        PAYMENT_URL: system.url('payment-service'),
        INVENTORY_URL: system.url('inventory-service'),
        ANALYTICS_URL: system.url('analytics-service'),
      });
      expect([code, output]).toEqual([0, expect.any(String)]);
    });
  });
});
