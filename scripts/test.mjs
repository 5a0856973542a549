#!/usr/bin/env node
// `npm test`: compile, bring up a Kafka broker and a PostgreSQL server if none
// answers, run every Jest project (unit, then e2e against the real broker; the
// repository suites and the e2e saga suite on SQLite and on PostgreSQL), stop what
// this command started, and end with one summary line: `jest: N passed, N failed`.
// Without PostgreSQL's server binaries (and no apt-get to install them) the
// PostgreSQL half is skipped with a message, except under CI=true, where it fails.
// Extra arguments go to Jest, e.g. `npm test -- --testPathPatterns saga`. The unit project alone
// (`npm run test:unit`) starts nothing and needs neither a build nor Java: its database suites run on SQLite.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { aptInstall, hasCommand } from './apt.mjs';
import { writeMeasured } from './docs/measured.mjs';
import { ensureBroker, stopBroker } from './kafka.mjs';
import { ensurePostgres, stopPostgres } from './postgres.mjs';
import { build, ROOT } from './services.mjs';

// `--scale-out`: the scale-out suite alone, on a three-broker cluster; otherwise unit + e2e on one broker.
// `--faults`: the fault suite (docs/reliability.md) on one broker, or on three with `--scale-out`;
// `--quick` (FAULTS_QUICK=1) is its short version, the one CI runs.
const scaleOut = process.argv.includes('--scale-out');
const faults = process.argv.includes('--faults');
const quick = process.argv.includes('--quick');
const jestArgs = process.argv.slice(2).filter((arg) => !['--scale-out', '--faults', '--quick'].includes(arg));
const projects = faults
  ? ['--selectProjects', 'faults']
  : scaleOut
    ? ['--selectProjects', 'scale-out']
    : jestArgs.includes('--selectProjects')
      ? []
      : ['--selectProjects', 'unit', 'e2e'];

// The unit project alone (`npm run test:unit`) needs nothing running: no build, no Java, no broker, and
// no PostgreSQL (its repository suites then run on SQLite only; `npm test` runs them on both).
const unitOnly = selectedProjects(jestArgs).join() === 'unit';
if (!unitOnly) build();
const { brokers, startedHere } = unitOnly ? { brokers: undefined, startedHere: false } : await ensureBroker({ count: scaleOut ? 3 : 1 });
const postgres = unitOnly ? null : await ensurePostgres({ required: process.env.CI === 'true' });
// The metrics e2e test runs promtool and a Prometheus server (Debian's package has both).
if (!unitOnly && !scaleOut && !faults && !hasCommand('promtool')) aptInstall(['prometheus'], { why: 'Prometheus is missing' });
const resultsFile = path.join(ROOT, '.data', 'jest-results.json');
fs.mkdirSync(path.dirname(resultsFile), { recursive: true });
fs.rmSync(resultsFile, { force: true });
const faultsFile = path.join(ROOT, '.data', 'faults-results.json');
if (faults) fs.rmSync(faultsFile, { force: true });
const startedAt = new Date();
// Unit and e2e: two test files at a time (each e2e file runs its own copy of the system, under its own topic
// prefix, ports and databases, so they do not meet; on two cores, more would only wait for the CPU). The
// scale-out and fault suites run one file at a time: they stop brokers that every other file would share.
// `npm test -- --runInBand` (or `-w N`) overrides it.
const ownWorkers = jestArgs.some((arg) => /^(-i|--runInBand|-w|--maxWorkers)(=|$)/.test(arg));
const workers = ownWorkers ? [] : scaleOut || faults ? ['--runInBand'] : ['--maxWorkers=2'];
// The quick fault run starts its scenarios four at a time (test/faults/support/scenario.ts).
const concurrency = faults && quick ? ['--maxConcurrency=4'] : [];

const jest = spawnSync(
  process.execPath,
  [
    path.join(ROOT, 'node_modules', 'jest', 'bin', 'jest.js'),
    ...workers,
    ...concurrency,
    '--json',
    `--outputFile=${resultsFile}`,
    ...projects,
    ...jestArgs,
  ],
  {
    cwd: ROOT,
    stdio: 'inherit',
    env: {
      ...process.env,
      ...(brokers && { KAFKA_BROKERS: brokers }),
      ...(postgres && { TEST_POSTGRES_URL: postgres.url }),
      ...(faults && quick && { FAULTS_QUICK: '1' }),
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --experimental-vm-modules`.trim(),
    },
  },
);
if (startedHere) await stopBroker();
if (postgres?.startedHere) await stopPostgres();

const summary = fs.existsSync(resultsFile) ? JSON.parse(fs.readFileSync(resultsFile, 'utf8')) : null;
if (faults) reportFaults(faultsFile, summary);

if (summary) {
  const skipped = summary.numPendingTests + summary.numTodoTests;
  // A test file that fails to load runs no test: count it as a failure too.
  const failed = summary.numFailedTests + summary.numRuntimeErrorTestSuites;
  console.log(`jest: ${summary.numPassedTests} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
}
process.exit(jest.status ?? 1);

/** The Jest projects named after `--selectProjects` (up to the next option). */
function selectedProjects(args) {
  const at = args.indexOf('--selectProjects');
  if (at === -1) return [];
  const rest = args.slice(at + 1);
  const end = rest.findIndex((arg) => arg.startsWith('-'));
  return end === -1 ? rest : rest.slice(0, end);
}

/**
 * The fault suite's table (one row per scenario, from .data/faults-results.json) and its
 * `N passed, N failed`. A full run on one broker (every scenario, FAULT_ORDERS unset, no Jest
 * filter) also writes them into docs/reliability.md: its figures are never copied there by hand.
 */
function reportFaults(file, summary) {
  const rows = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : [];
  rows.sort((a, b) => Number.parseInt(a.scenario, 10) - Number.parseInt(b.scenario, 10)); // the broker kill runs last
  const passed = rows.filter((row) => row.passed).length;
  const table = faultTable(rows);
  console.log(`\n${table}\n${passed} passed, ${rows.length - passed} failed`);
  // The guide quotes the one-broker suite, whole: `--scale-out`, a filtered or shortened run, or one
  // where a scenario did not run to its row (a crash, a Jest timeout, a skipped test) only prints.
  const filtered = quick || scaleOut || jestArgs.length > 0 || process.env.FAULT_ORDERS || process.env.FAULTS_QUICK;
  const whole =
    summary && summary.numRuntimeErrorTestSuites === 0 && summary.numPendingTests === 0 && rows.length === summary.numTotalTests;
  if (filtered || !whole || rows.length === 0) return;
  const minutes = (Date.now() - startedAt.getTime()) / 60_000;
  const git = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' });
  const dirty = spawnSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: ROOT, encoding: 'utf8' }).stdout?.trim();
  writeMeasured('docs/reliability.md', 'faults', {
    command: 'npm run test:faults',
    at: startedAt,
    markdown: [
      `${rows.length} scenario runs (every scenario, in each saga mode) in ${Math.round(minutes)} min, one broker, ` +
        `commit ${git.stdout.trim() || 'unknown'}${dirty ? ' with uncommitted changes' : ''}: **${passed} passed, ${rows.length - passed} failed**.`,
      '',
      table,
      '',
      'The notes of each row (all of them, with the HTTP statuses of the abuse, in `.data/faults-results.json`):',
      '',
      ...rows.map((row) => `- ${row.scenario}: ${noteLine(row.notes)}`),
    ].join('\n'),
  });
  console.log('written: the table of this run in docs/reliability.md');
}

function faultTable(rows) {
  const recover = (ms) => (ms === null ? 'n/a' : `${(ms / 1000).toFixed(1)} s`);
  return [
    '| scenario | orders | lost | duplicated effects | dead-lettered | needless compensations | time to recover | result |',
    '|---|---|---|---|---|---|---|---|',
    ...rows.map((row) => {
      const result = row.passed ? 'passed' : `FAILED: ${row.problems.join('; ').replaceAll('|', '/')}`;
      return `| ${row.scenario} | ${row.orders} (${row.accepted} accepted) | ${row.lost} | ${row.duplicated} | ${row.deadLettered} | ${row.needless} | ${recover(row.recoverMs)} | ${result} |`;
    }),
  ].join('\n');
}

/** A row's notes on one line: numbers and words as they are, a list by its length; nested objects stay in the JSON file. */
function noteLine(notes) {
  return Object.entries(notes)
    .flatMap(([key, value]) => {
      if (Array.isArray(value)) return [`${key} ${value.length}`];
      if (value === null || typeof value !== 'object') return [`${key} ${value}`];
      return [];
    })
    .join(', ');
}
