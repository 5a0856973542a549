#!/usr/bin/env node
// Runs a real single-node (KRaft) Apache Kafka broker for local development and
// tests, without Docker: the broker jars come from Maven Central via kafka/pom.xml.
//
//   node scripts/kafka.mjs start    ensure a broker answers on 127.0.0.1:9092 (detached)
//   node scripts/kafka.mjs stop     stop the broker this script started
//   node scripts/kafka.mjs status   say whether a broker answers
//
// If KAFKA_BROKERS is set, that broker is used and nothing is started.
// Other scripts: `import { ensureBroker, stopBroker } from './kafka.mjs'`.

import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const POM = path.join(ROOT, 'kafka', 'pom.xml');
const DATA_DIR = path.join(ROOT, '.data', 'kafka');
const LOG_DIRS = path.join(DATA_DIR, 'data'); // Kafka's "log.dirs": the topic data itself
const SERVER_PROPERTIES = path.join(DATA_DIR, 'server.properties');
const LOG4J_PROPERTIES = path.join(DATA_DIR, 'log4j2.properties');
const BROKER_LOG = path.join(DATA_DIR, 'broker.log');
const BROKER_OUT = path.join(DATA_DIR, 'broker.out');
const PID_FILE = path.join(DATA_DIR, 'broker.pid');
const LOCK_FILE = path.join(DATA_DIR, 'start.lock');
const CONTRACTS_MODULE = path.join(ROOT, 'dist', 'libs', 'contracts', 'src', 'index.js');
const MESSAGING_MODULE = path.join(ROOT, 'dist', 'libs', 'messaging', 'src', 'index.js');

const LOCAL_BROKERS = '127.0.0.1:9092';
const STARTUP_TIMEOUT_MS = 90_000;
const EXTERNAL_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 30_000;
const LOCK_TIMEOUT_MS = 10 * 60_000; // a concurrent cold start may be downloading jars

const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;

// ---------------------------------------------------------------- public API

/**
 * Makes sure a broker answers and every saga topic exists.
 * Resolves to the bootstrap list and whether this call started the broker.
 */
export async function ensureBroker({ log = console.log } = {}) {
  const external = process.env.KAFKA_BROKERS?.trim();
  let result;
  if (external) {
    log(`Using KAFKA_BROKERS=${external}; not starting a local broker.`);
    await waitForExternal(external);
    result = { brokers: external, startedHere: false };
  } else if (await brokerAnswers(LOCAL_BROKERS)) {
    log(`Kafka is already running at ${LOCAL_BROKERS}; not starting another.`);
    result = { brokers: LOCAL_BROKERS, startedHere: false };
  } else {
    // The lock keeps two concurrent starts (say, tests and the app) from both
    // formatting storage and launching a broker.
    result = await withStartLock(() => startOrJoinLocalBroker(log));
  }
  await createTopics(result.brokers, log);
  await warmUpGroupCoordinator(result.brokers);
  return result;
}

/** Stops the broker this script started (if any). Resolves to true if one was stopped. */
export async function stopBroker({ log = console.log } = {}) {
  const pid = readPid(PID_FILE);
  if (!pid || !isOurBroker(pid)) {
    fs.rmSync(PID_FILE, { force: true });
    log('No broker started by this script is running.');
    return false;
  }
  log(`Stopping Kafka (pid ${pid})...`);
  const startedAt = Date.now();
  // Signal the whole process group: the broker was started as its leader.
  signalGroup(pid, 'SIGTERM');
  if (!(await waitForExit(pid, STOP_TIMEOUT_MS))) {
    log(`Kafka did not exit within ${seconds(STOP_TIMEOUT_MS)}; killing it.`);
    signalGroup(pid, 'SIGKILL');
    await waitForExit(pid, 5_000);
  }
  fs.rmSync(PID_FILE, { force: true });
  log(`Kafka stopped (${seconds(Date.now() - startedAt)}).`);
  return true;
}

// ------------------------------------------------------------- local broker

async function startOrJoinLocalBroker(log) {
  // Re-check under the lock: a concurrent caller may have just started it.
  if (await brokerAnswers(LOCAL_BROKERS)) {
    log(`Kafka is already running at ${LOCAL_BROKERS}; not starting another.`);
    return { brokers: LOCAL_BROKERS, startedHere: false };
  }
  const runningPid = readPid(PID_FILE);
  if (runningPid && isOurBroker(runningPid)) {
    // Started earlier (e.g. by a run that was interrupted) and still booting.
    log(`Kafka (pid ${runningPid}) is still starting; waiting for it...`);
    await waitUntilUp(runningPid, Date.now());
    return { brokers: LOCAL_BROKERS, startedHere: false };
  }
  fs.rmSync(PID_FILE, { force: true });

  const version = kafkaVersion();
  const libs = fetchJars(version, log);
  requireJava();
  writeConfig();
  formatStorageOnce(libs, log);

  log(`Starting Kafka ${version} at ${LOCAL_BROKERS} (data in ${path.relative(ROOT, DATA_DIR)})...`);
  const startedAt = Date.now();
  const pid = launchBroker(libs);
  await waitUntilUp(pid, startedAt);
  log(`Kafka ${version} is up at ${LOCAL_BROKERS} after ${seconds(Date.now() - startedAt)} (pid ${pid}).`);
  return { brokers: LOCAL_BROKERS, startedHere: true };
}

function kafkaVersion() {
  const match = fs.readFileSync(POM, 'utf8').match(/<kafka\.version>\s*([^<\s]+)\s*<\/kafka\.version>/);
  if (!match) throw new Error(`No <kafka.version> in ${POM}`);
  return match[1];
}

/** Downloads the broker's runtime classpath once per pom content; returns the libs folder. */
function fetchJars(version, log) {
  const cacheDir = path.join(ROOT, '.cache', 'kafka', version);
  const libs = path.join(cacheDir, 'libs');
  const marker = path.join(cacheDir, '.complete');
  // The marker holds the pom's hash, so editing the pom (e.g. a log4j bump) refetches.
  const pomHash = createHash('sha256').update(fs.readFileSync(POM)).digest('hex');
  if (fs.existsSync(marker) && fs.readFileSync(marker, 'utf8').trim() === pomHash) return libs;

  log(`Fetching Apache Kafka ${version} jars from Maven Central (first run only)...`);
  const startedAt = Date.now();
  // copy-dependencies never deletes, so start clean to avoid two versions of a jar.
  fs.rmSync(cacheDir, { recursive: true, force: true });
  fs.mkdirSync(libs, { recursive: true });
  const mvn = spawnSync(
    'mvn',
    ['-q', '-B', '-Dstyle.color=never', '-f', POM, 'dependency:copy-dependencies', `-DoutputDirectory=${libs}`, '-DincludeScope=runtime'],
    { cwd: ROOT, encoding: 'utf8' },
  );
  if (mvn.error?.code === 'ENOENT') throw new Error('Maven (mvn) is not installed; it is needed once to fetch the Kafka jars.');
  if (mvn.status !== 0) {
    throw new Error(`Fetching the Kafka jars failed (mvn exit ${mvn.status}):\n${mvn.stdout}${mvn.stderr}`);
  }
  fs.writeFileSync(marker, `${pomHash}\n`);
  log(`Fetched ${fs.readdirSync(libs).length} jars in ${seconds(Date.now() - startedAt)} into ${path.relative(ROOT, libs)}.`);
  return libs;
}

function requireJava() {
  const java = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (java.error?.code === 'ENOENT') throw new Error('Java (17+) is not installed; the Kafka broker needs it.');
}

/** Rewritten on every start so the files always match this script. */
function writeConfig() {
  fs.mkdirSync(LOG_DIRS, { recursive: true });
  const server = {
    'process.roles': 'broker,controller',
    'node.id': 1,
    'controller.quorum.bootstrap.servers': '127.0.0.1:9093',
    listeners: 'PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093',
    'advertised.listeners': 'PLAINTEXT://127.0.0.1:9092',
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    'log.dirs': LOG_DIRS,
    'num.partitions': 3,
    // One node: internal topics cannot have more replicas than brokers.
    'offsets.topic.replication.factor': 1,
    'offsets.topic.num.partitions': 3,
    'transaction.state.log.replication.factor': 1,
    'transaction.state.log.min.isr': 1,
    'share.coordinator.state.topic.replication.factor': 1,
    'share.coordinator.state.topic.min.isr': 1,
    // Consumers join a group immediately instead of waiting 3 s for others.
    'group.initial.rebalance.delay.ms': 0,
    // Topics are created up front with the right partition count, never by accident.
    'auto.create.topics.enable': false,
  };
  const log4j = {
    status: 'error',
    'appender.file.type': 'File',
    'appender.file.name': 'FILE',
    'appender.file.fileName': BROKER_LOG,
    'appender.file.layout.type': 'PatternLayout',
    'appender.file.layout.pattern': '[%d] %p %m (%c)%n',
    'rootLogger.level': 'WARN',
    'rootLogger.appenderRef.file.ref': 'FILE',
  };
  fs.writeFileSync(SERVER_PROPERTIES, toProperties(server, 'Generated by scripts/kafka.mjs; edits are overwritten.'));
  fs.writeFileSync(LOG4J_PROPERTIES, toProperties(log4j, 'Generated by scripts/kafka.mjs: WARN and above to broker.log.'));
}

function toProperties(entries, comment) {
  return `# ${comment}\n${Object.entries(entries)
    .map(([key, value]) => `${key}=${value}`)
    .join('\n')}\n`;
}

/** KRaft storage must be formatted (given a cluster id) exactly once before the first start. */
function formatStorageOnce(libs, log) {
  if (fs.existsSync(path.join(LOG_DIRS, 'meta.properties'))) return;
  log('Formatting Kafka storage (first start)...');
  const clusterId = storageTool(libs, ['random-uuid']).trim();
  storageTool(libs, ['format', '--standalone', '-t', clusterId, '-c', SERVER_PROPERTIES]);
}

function storageTool(libs, args) {
  const result = spawnSync('java', [...javaClasspathArgs(libs), 'kafka.tools.StorageTool', ...args], {
    cwd: DATA_DIR,
    encoding: 'utf8',
  });
  if (result.status !== 0) {
    throw new Error(`kafka.tools.StorageTool ${args[0]} failed (exit ${result.status}):\n${result.stdout}${result.stderr}`);
  }
  return result.stdout;
}

function javaClasspathArgs(libs) {
  // The JVM expands the "dir/*" wildcard itself (no shell involved).
  return ['-cp', `${libs}${path.sep}*`, `-Dlog4j2.configurationFile=${LOG4J_PROPERTIES}`];
}

/** Starts the broker in its own process group so it outlives this script. Returns its pid. */
function launchBroker(libs) {
  const out = fs.openSync(BROKER_OUT, 'w');
  try {
    const child = spawn('java', ['-Xms256m', '-Xmx768m', ...javaClasspathArgs(libs), 'kafka.Kafka', SERVER_PROPERTIES], {
      cwd: DATA_DIR,
      detached: true,
      stdio: ['ignore', out, out],
    });
    child.unref();
    fs.writeFileSync(PID_FILE, `${child.pid}\n`);
    return child.pid;
  } finally {
    fs.closeSync(out); // the child keeps its own copy
  }
}

/** Polls until the broker answers; on failure prints the logs, stops it and throws. */
async function waitUntilUp(pid, startedAt) {
  while (Date.now() - startedAt < STARTUP_TIMEOUT_MS) {
    if (await brokerAnswers(LOCAL_BROKERS)) return;
    if (!isOurBroker(pid)) {
      fs.rmSync(PID_FILE, { force: true });
      throw new Error(`Kafka exited during startup.\n${logTails()}`);
    }
    await sleep(500);
  }
  const tails = logTails();
  await stopBroker({ log: () => {} }); // don't leave a half-started broker behind
  throw new Error(`Kafka did not answer at ${LOCAL_BROKERS} within ${seconds(STARTUP_TIMEOUT_MS)}.\n${tails}`);
}

function logTails(lines = 40) {
  return [BROKER_LOG, BROKER_OUT]
    .map((file) => {
      const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trimEnd() : '';
      const tail = text ? text.split('\n').slice(-lines).join('\n') : '(empty)';
      return `--- ${path.relative(ROOT, file)} (last ${lines} lines) ---\n${tail}`;
    })
    .join('\n');
}

// --------------------------------------------------------- brokers & topics

/** True if a broker at `brokers` answers a metadata request right now. */
async function brokerAnswers(brokers) {
  const admin = new Kafka({
    clientId: 'kafka-script',
    brokers: brokers
      .split(',')
      .map((broker) => broker.trim())
      .filter(Boolean),
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1_000,
    requestTimeout: 5_000,
    retry: { retries: 0 }, // the callers poll; kafkajs retries would only add noise and delay
  }).admin();
  try {
    await admin.connect();
    await admin.describeCluster();
    return true;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

/**
 * The consumer-offsets topic is created on the first group lookup, and until it
 * exists every consumer logs "group coordinator is not available" errors. Looking
 * up a group here takes that hit once, quietly.
 */
async function warmUpGroupCoordinator(brokers) {
  const admin = new Kafka({ clientId: 'kafka-script', brokers: brokers.split(','), logLevel: logLevel.NOTHING }).admin();
  try {
    await admin.connect();
    await admin.describeGroups(['kafka-script-warm-up']);
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

async function waitForExternal(brokers) {
  const deadline = Date.now() + EXTERNAL_TIMEOUT_MS;
  while (!(await brokerAnswers(brokers))) {
    if (Date.now() > deadline) throw new Error(`No Kafka broker answers at KAFKA_BROKERS=${brokers}.`);
    await sleep(500);
  }
}

/** Creates every saga topic up front, with the compiled topic list of libs/contracts. */
async function createTopics(brokers, log) {
  if (!fs.existsSync(MESSAGING_MODULE)) {
    log(`${path.relative(ROOT, MESSAGING_MODULE)} is missing; building with "npx tsc -p tsconfig.build.json"...`);
    const tsc = spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
    // tsc still emits JavaScript on type errors; that is enough to list the topics.
    if (!fs.existsSync(MESSAGING_MODULE)) throw new Error('The TypeScript build failed; cannot create the topics.');
    if (tsc.status !== 0) log('The TypeScript build reported errors (above); using the JavaScript it emitted.');
  }
  // Imported lazily: dist/ may not exist when this file loads, and stop/status don't need it.
  // The library's event classes carry class-transformer decorators, which need the
  // Reflect metadata API loaded first (as every Nest entry point does).
  await import('reflect-metadata');
  const { Topics } = await import(pathToFileURL(CONTRACTS_MODULE).href);
  const { ensureTopics } = await import(pathToFileURL(MESSAGING_MODULE).href);
  const created = await ensureTopics(brokers, new Topics(process.env.KAFKA_TOPIC_PREFIX ?? '').all());
  log(created.length > 0 ? `Created topics: ${created.join(', ')}.` : 'All topics already exist.');
}

// ------------------------------------------------------------ process utils

function readPid(file) {
  try {
    const pid = Number.parseInt(fs.readFileSync(file, 'utf8'), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM'; // exists, but belongs to someone else
  }
}

/** Alive and (where /proc tells us) really our broker, not a recycled pid or a zombie. */
function isOurBroker(pid) {
  if (!isAlive(pid)) return false;
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(SERVER_PROPERTIES);
  } catch {
    return true; // no /proc (macOS): trust the pid file
  }
}

function signalGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

async function waitForExit(pid, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (isOurBroker(pid)) {
    if (Date.now() > deadline) return false;
    await sleep(250);
  }
  return true;
}

/** Runs `fn` while holding a lock file; a lock left by a dead process is taken over. */
async function withStartLock(fn) {
  fs.mkdirSync(DATA_DIR, { recursive: true });
  const deadline = Date.now() + LOCK_TIMEOUT_MS;
  for (;;) {
    try {
      fs.writeFileSync(LOCK_FILE, `${process.pid}\n`, { flag: 'wx' });
      break;
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
      const owner = readPid(LOCK_FILE);
      if (!owner || !isAlive(owner)) {
        fs.rmSync(LOCK_FILE, { force: true });
      } else if (Date.now() > deadline) {
        throw new Error(`Another start (pid ${owner}) holds ${LOCK_FILE}; giving up waiting.`, { cause: error });
      } else {
        await sleep(500);
      }
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(LOCK_FILE, { force: true });
  }
}

// ---------------------------------------------------------------------- CLI

async function status() {
  const brokers = process.env.KAFKA_BROKERS?.trim() || LOCAL_BROKERS;
  const pid = readPid(PID_FILE);
  const ours = pid && isOurBroker(pid) ? ` (started by this script, pid ${pid})` : '';
  if (await brokerAnswers(brokers)) {
    console.log(`Kafka is running at ${brokers}${ours}.`);
    return 0;
  }
  console.log(ours ? `Kafka${ours} is running but not answering at ${brokers} yet.` : `Kafka is not running at ${brokers}.`);
  return 1;
}

async function main(command) {
  switch (command) {
    case 'start':
      await ensureBroker();
      return 0;
    case 'stop':
      await stopBroker();
      return 0;
    case 'status':
      return status();
    default:
      console.error('Usage: node scripts/kafka.mjs <start|stop|status>');
      return 2;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv[2]).then(
    (code) => process.exit(code),
    (error) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(1);
    },
  );
}
