#!/usr/bin/env node
// Runs a local PostgreSQL server for the scale-out topology and the tests, from
// Debian's server binaries (installed with apt-get where missing and allowed), in a
// private data folder: no system service, nothing outside .data/postgres.
//
//   node scripts/postgres.mjs start    ensure a server answers on 127.0.0.1:5433 (detached)
//   node scripts/postgres.mjs stop     stop the server this script started
//   node scripts/postgres.mjs status   say whether it answers
//
// PostgreSQL refuses to run as root: as root, the server runs as the `postgres` user.
// If POSTGRES_URL is set (postgres://user@host:port), that server is used and nothing is started.
// Other scripts: `import { ensurePostgres, stopPostgres, createDatabase } from './postgres.mjs'`.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { aptInstall } from './apt.mjs';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pg from 'pg';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DATA_DIR = path.join(ROOT, '.data', 'postgres');
const PORT = 5433;
export const LOCAL_POSTGRES_URL = `postgres://postgres@127.0.0.1:${PORT}`;
const IS_ROOT = process.getuid?.() === 0;

/**
 * Makes sure a PostgreSQL server answers. Resolves to its URL (no database in it)
 * and whether this call started it, or to null when no server can be had here
 * (no binaries and no apt-get) and `required` is false.
 */
export async function ensurePostgres({ log = console.log, required = true, install = true } = {}) {
  const external = process.env.POSTGRES_URL?.trim();
  if (external) {
    log(`Using POSTGRES_URL=${redact(external)}; not starting a local server.`);
    return { url: external, startedHere: false };
  }
  if (await answers(LOCAL_POSTGRES_URL)) {
    log(`PostgreSQL is already running at 127.0.0.1:${PORT}; not starting another.`);
    return { url: LOCAL_POSTGRES_URL, startedHere: false };
  }
  const bin = binaries() ?? (install ? installServer(log) : null);
  if (!bin) {
    if (required) throw new Error('PostgreSQL server binaries not found (apt-get install postgresql).');
    log('PostgreSQL server binaries not found: skipping what needs PostgreSQL.');
    return null;
  }
  initOnce(bin, log);
  const startedAt = Date.now();
  log(`Starting PostgreSQL at 127.0.0.1:${PORT} (data in ${path.relative(ROOT, DATA_DIR)})...`);
  run(bin, 'pg_ctl', [
    '-D',
    DATA_DIR,
    '-o',
    `-p ${PORT} -k ${DATA_DIR} -c listen_addresses=127.0.0.1 -c max_connections=300 -c tcp_keepalives_idle=5 -c tcp_keepalives_interval=2 -c tcp_keepalives_count=3`,
    '-l',
    path.join(DATA_DIR, 'server.log'),
    '-w',
    'start',
  ]);
  while (!(await answers(LOCAL_POSTGRES_URL))) {
    if (Date.now() - startedAt > 60_000)
      throw new Error(`PostgreSQL started but does not answer; see ${path.join(DATA_DIR, 'server.log')}`);
    await sleep(100);
  }
  log(`PostgreSQL is up after ${((Date.now() - startedAt) / 1000).toFixed(1)} s.`);
  return { url: LOCAL_POSTGRES_URL, startedHere: true };
}

export async function stopPostgres({ log = console.log } = {}) {
  const bin = binaries();
  if (!bin || !fs.existsSync(path.join(DATA_DIR, 'postmaster.pid'))) return;
  log('Stopping PostgreSQL...');
  run(bin, 'pg_ctl', ['-D', DATA_DIR, '-m', 'fast', '-w', 'stop']);
}

/** Creates a database if it does not exist; resolves to its URL. */
export async function createDatabase(serverUrl, name) {
  const client = new pg.Client({ connectionString: `${serverUrl}/postgres` });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) await client.query(`CREATE DATABASE "${name.replaceAll('"', '')}"`);
  } finally {
    await client.end();
  }
  return `${serverUrl}/${name}`;
}

/** Drops a database, ending its connections first. */
export async function dropDatabase(serverUrl, name) {
  const client = new pg.Client({ connectionString: `${serverUrl}/postgres` });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${name.replaceAll('"', '')}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

function binaries() {
  const base = '/usr/lib/postgresql';
  if (!fs.existsSync(base)) return null;
  const versions = fs
    .readdirSync(base)
    .filter((version) => fs.existsSync(path.join(base, version, 'bin', 'pg_ctl')))
    .sort((a, b) => Number(b) - Number(a));
  return versions.length ? path.join(base, versions[0], 'bin') : null;
}

function installServer(log) {
  return aptInstall(['postgresql'], { log, why: "PostgreSQL's server is missing" }) ? binaries() : null;
}

function initOnce(bin, log) {
  if (fs.existsSync(path.join(DATA_DIR, 'PG_VERSION'))) return;
  log('Creating the PostgreSQL data folder (first start)...');
  fs.mkdirSync(DATA_DIR, { recursive: true });
  if (IS_ROOT) spawnSync('chown', ['-R', 'postgres:postgres', DATA_DIR]);
  run(bin, 'initdb', ['-D', DATA_DIR, '-A', 'trust', '-U', 'postgres', '--no-sync']);
}

/** Runs a server binary, as the `postgres` user when we are root (the server refuses root). */
function run(bin, tool, args) {
  const command = IS_ROOT ? 'runuser' : path.join(bin, tool);
  const argv = IS_ROOT ? ['-u', 'postgres', '--', path.join(bin, tool), ...args] : args;
  const result = spawnSync(command, argv, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${tool} failed: ${result.stderr || result.stdout}`);
}

async function answers(url) {
  const client = new pg.Client({ connectionString: `${url}/postgres`, connectionTimeoutMillis: 1_000 });
  try {
    await client.connect();
    await client.end();
    return true;
  } catch {
    return false;
  }
}

function redact(url) {
  return url.replace(/:[^:@/]+@/, ':***@');
}

async function main(command) {
  if (command === 'start') await ensurePostgres();
  else if (command === 'stop') await stopPostgres();
  else if (command === 'status')
    console.log((await answers(process.env.POSTGRES_URL ?? LOCAL_POSTGRES_URL)) ? 'PostgreSQL answers.' : 'No PostgreSQL answers.');
  else {
    console.error('Usage: node scripts/postgres.mjs start|stop|status');
    process.exit(2);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main(process.argv[2]);
