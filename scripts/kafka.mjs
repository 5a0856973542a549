#!/usr/bin/env node
// Runs real Apache Kafka (KRaft) for local development and tests, without Docker:
// the broker jars come from Maven Central via kafka/pom.xml.
//
//   node scripts/kafka.mjs start                ensure a broker answers on 127.0.0.1:9092 (detached)
//   node scripts/kafka.mjs start --brokers 3    a three-node cluster on 127.0.0.1:9092,9094,9096
//                                               (topics: replication factor 3, min.insync.replicas 2)
//   node scripts/kafka.mjs stop                 stop what this script started (one node or the cluster)
//   node scripts/kafka.mjs status               say whether Kafka answers, and with how many brokers
//   node scripts/kafka.mjs start --sasl         a separate broker with a SASL_SSL listener (SCRAM-SHA-512) on
//                                               127.0.0.1:9192, its CA in .data/kafka-sasl/tls; prints the
//                                               KAFKA_* variables that connect the services to it
//   node scripts/kafka.mjs stop --sasl          stop that broker (the plain one keeps running)
//
// If KAFKA_BROKERS is set, that broker is used and nothing is started (not for --sasl); it is
// reached with KAFKA_SSL_CA and KAFKA_SASL_* when they are set, as the services reach it.
// Other scripts: `import { ensureBroker, stopBroker } from './kafka.mjs'`, and
// `startSecureBroker` / `stopSecureBroker` for the SASL_SSL one.

import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const POM = path.join(ROOT, 'kafka', 'pom.xml');
const LOCK_FILE = path.join(ROOT, '.data', 'kafka-start.lock');
const CONTRACTS_MODULE = path.join(ROOT, 'dist', 'libs', 'contracts', 'src', 'index.js');
const MESSAGING_MODULE = path.join(ROOT, 'dist', 'libs', 'messaging', 'src', 'index.js');

const STARTUP_TIMEOUT_MS = 90_000;
const EXTERNAL_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 30_000;
const LOCK_TIMEOUT_MS = 10 * 60_000; // a concurrent cold start may be downloading jars

const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;

/**
 * The nodes of a local topology. One node (the default) keeps its data in
 * .data/kafka; a cluster of N keeps node i's in .data/kafka-cluster/node-i. Node i
 * listens for clients on 9092 + 2(i - 1) and for its controller quorum on the next
 * port, so node 1 is at 127.0.0.1:9092 either way. Every node is broker and controller.
 */
function nodesOf(count) {
  return Array.from({ length: count }, (_, index) => {
    const dir = count === 1 ? path.join(ROOT, '.data', 'kafka') : path.join(ROOT, '.data', 'kafka-cluster', `node-${index + 1}`);
    return nodeIn(dir, index + 1, 9092 + 2 * index);
  });
}

/** A node keeping its files in `dir`, listening for clients on `port` and for its controller quorum on the next one. */
function nodeIn(dir, id, port) {
  return {
    id,
    dir,
    port,
    controllerPort: port + 1,
    logDirs: path.join(dir, 'data'), // Kafka's "log.dirs": the topic data itself
    serverProperties: path.join(dir, 'server.properties'),
    log4jProperties: path.join(dir, 'log4j2.properties'),
    brokerLog: path.join(dir, 'broker.log'),
    brokerOut: path.join(dir, 'broker.out'),
    pidFile: path.join(dir, 'broker.pid'),
  };
}

const bootstrapOf = (nodes) => nodes.map((node) => `127.0.0.1:${node.port}`).join(',');
/** Every node this script may have started, in either topology. */
const allKnownNodes = () => [...nodesOf(1), ...nodesOf(3)];

// ---------------------------------------------------------------- public API

/**
 * Makes sure a broker (or a cluster of `count` brokers) answers and every saga
 * topic exists. Resolves to the bootstrap list and whether this call started it.
 */
export async function ensureBroker({ log = console.log, count = 1 } = {}) {
  const external = process.env.KAFKA_BROKERS?.trim();
  // An external broker may want TLS and SASL (say, `start --sasl`'s): connect as the services will.
  const security = external ? securityFromEnv() : {};
  const nodes = nodesOf(count);
  let result;
  if (external) {
    log(`Using KAFKA_BROKERS=${external}; not starting a local broker.`);
    await waitForExternal(external, security);
    result = { brokers: external, startedHere: false };
  } else if (await brokerAnswers(bootstrapOf(nodes))) {
    result = await joinRunning(nodes, log);
  } else {
    // The lock keeps two concurrent starts (say, tests and the app) from both
    // formatting storage and launching brokers.
    result = await withStartLock(() => startOrJoinLocal(nodes, log));
  }
  await createTopics(result.brokers, log, security);
  await warmUpGroupCoordinator(result.brokers, security);
  return result;
}

/**
 * Deletes the topics and consumer groups whose names start with `prefix` (a bench run's or a test system's own):
 * a shared broker keeps nothing of the run, and restarts no slower for it.
 */
export async function deletePrefixed(kafka, prefix) {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const ours = (name) => name.startsWith(prefix);
    const groups = (await admin.listGroups()).groups.map((group) => group.groupId).filter(ours);
    if (groups.length > 0) await admin.deleteGroups(groups).catch(() => {});
    const topics = (await admin.listTopics()).filter(ours);
    if (topics.length > 0) await admin.deleteTopics({ topics, timeout: 30_000 });
  } finally {
    await admin.disconnect();
  }
}

/** Stops every broker this script started (one, or a cluster). Resolves to true if one was stopped. */
export async function stopBroker({ log = console.log } = {}) {
  const running = allKnownNodes().filter((node) => {
    const pid = readPid(node.pidFile);
    if (pid && isOurBroker(pid, node)) return true;
    fs.rmSync(node.pidFile, { force: true });
    return false;
  });
  if (running.length === 0) {
    log('No broker started by this script is running.');
    return false;
  }
  log(`Stopping Kafka (${running.map((node) => `node ${node.id}, pid ${readPid(node.pidFile)}`).join('; ')})...`);
  const startedAt = Date.now();
  await Promise.all(running.map((node) => stopNode(node, log)));
  log(`Kafka stopped (${seconds(Date.now() - startedAt)}).`);
  return true;
}

/** Stops one node (SIGTERM, then SIGKILL after a while); SIGKILL at once when `kill` is set (a crash, for tests). */
export async function stopNode(node, log = () => {}, { kill = false } = {}) {
  const pid = readPid(node.pidFile);
  if (!pid || !isOurBroker(pid, node)) return;
  // Signal the whole process group: the broker was started as its leader.
  signalGroup(pid, kill ? 'SIGKILL' : 'SIGTERM');
  if (!(await waitForExit(pid, node, kill ? 5_000 : STOP_TIMEOUT_MS))) {
    log(`Kafka node ${node.id} did not exit within ${seconds(STOP_TIMEOUT_MS)}; killing it.`);
    signalGroup(pid, 'SIGKILL');
    await waitForExit(pid, node, 5_000);
  }
  fs.rmSync(node.pidFile, { force: true });
}

/** The nodes of the local cluster of `count`, for tests that stop one (see stopNode). */
export function localNodes(count) {
  return nodesOf(count);
}

// ------------------------------------------------------ the SASL_SSL broker

/**
 * A second, separate single-node broker set up the way one deploys Kafka: clients
 * connect over TLS (a broker certificate signed by a local CA) and authenticate with
 * SCRAM-SHA-512. It has its own data (.data/kafka-sasl) and ports (clients 9192,
 * controller 9193 on localhost), so the plain broker on 9092 is never touched.
 */
const SECURE_DIR = path.join(ROOT, '.data', 'kafka-sasl');
const SECURE_PORT = 9192;
const TLS_DIR = path.join(SECURE_DIR, 'tls');
/** The CA certificate clients trust: KAFKA_SSL_CA. */
const CA_FILE = path.join(TLS_DIR, 'ca.pem');
/** The broker's private key and certificate chain: Kafka reads PEM keystores itself. */
const BROKER_KEYSTORE = path.join(TLS_DIR, 'broker-keystore.pem');
const SCRAM = 'SCRAM-SHA-512';
/** Local development credentials: the services' user, and the broker's own on its inter-broker listener. */
export const SECURE_USER = Object.freeze({ username: 'saga', password: 'saga-local-secret' });
const BROKER_USER = { username: 'broker', password: 'broker-local-secret' };

const secureNode = () => nodeIn(SECURE_DIR, 1, SECURE_PORT);

/**
 * Makes sure the SASL_SSL broker answers (starting it, with certificates and users,
 * if needed) and, unless `topics` is false, every saga topic exists on it (unprefixed:
 * a service creates its own at start anyway). Resolves to its connection settings,
 * `env` (the KAFKA_* variables that connect a service to it) and whether this call started it.
 */
export async function startSecureBroker({ log = console.log, topics = true } = {}) {
  const node = secureNode();
  return withStartLock(
    async () => {
      ensureCertificates(log);
      const security = { ssl: { ca: fs.readFileSync(CA_FILE, 'utf8') }, sasl: { mechanism: SCRAM.toLowerCase(), ...SECURE_USER } };
      const brokers = bootstrapOf([node]);
      const running = await brokerAnswers(brokers, security);
      if (running) log(`Kafka (SASL_SSL) is already running at ${brokers}.`);
      else await launchSecure(node, security, log);
      if (topics) await createTopics(brokers, log, security);
      await warmUpGroupCoordinator(brokers, security);
      const env = {
        KAFKA_BROKERS: brokers,
        KAFKA_SSL_CA: CA_FILE,
        KAFKA_SASL_MECHANISM: security.sasl.mechanism,
        KAFKA_SASL_USERNAME: SECURE_USER.username,
        KAFKA_SASL_PASSWORD: SECURE_USER.password,
      };
      return { brokers, ...security, caFile: CA_FILE, env, startedHere: !running };
    },
    path.join(SECURE_DIR, 'start.lock'),
  );
}

/** Stops the SASL_SSL broker if this script started it. Resolves to true if it was running. */
export async function stopSecureBroker({ log = console.log } = {}) {
  const node = secureNode();
  const pid = readPid(node.pidFile);
  if (!pid || !isOurBroker(pid, node)) {
    log('No SASL_SSL broker started by this script is running.');
    return false;
  }
  log(`Stopping Kafka (SASL_SSL, pid ${pid})...`);
  await stopNode(node, log);
  log('Kafka (SASL_SSL) stopped.');
  return true;
}

async function launchSecure(node, security, log) {
  const version = kafkaVersion();
  const libs = fetchJars(version, log);
  requireJava();
  writeConfig(node, [node], saslSslListeners(node));
  const users = [SECURE_USER, BROKER_USER].flatMap(({ username, password }) => [
    '--add-scram',
    `${SCRAM}=[name=${username},password=${password}]`,
  ]);
  formatStorageOnce(libs, [node], log, users);
  const startedAt = Date.now();
  const pid = readPid(node.pidFile);
  if (pid && isOurBroker(pid, node)) {
    log('Kafka (SASL_SSL) is still starting; waiting for it...');
  } else {
    log(`Starting Kafka ${version} with SASL_SSL (${SCRAM}) at ${bootstrapOf([node])} (data in ${path.relative(ROOT, node.dir)})...`);
    launchBroker(libs, node);
  }
  await waitUntilUp([node], startedAt, security);
  log(`Kafka ${version} (SASL_SSL) is up at ${bootstrapOf([node])} after ${seconds(Date.now() - startedAt)}.`);
}

/** Clients and the broker itself (inter-broker) on SASL_SSL; the controller quorum stays plaintext on localhost. */
function saslSslListeners(node) {
  const jaas = `org.apache.kafka.common.security.scram.ScramLoginModule required username="${BROKER_USER.username}" password="${BROKER_USER.password}";`;
  return {
    listeners: `SASL_SSL://127.0.0.1:${node.port},CONTROLLER://127.0.0.1:${node.controllerPort}`,
    'advertised.listeners': `SASL_SSL://127.0.0.1:${node.port}`,
    'inter.broker.listener.name': 'SASL_SSL',
    'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT,SASL_SSL:SASL_SSL',
    'sasl.enabled.mechanisms': SCRAM,
    'sasl.mechanism.inter.broker.protocol': SCRAM,
    [`listener.name.sasl_ssl.${SCRAM.toLowerCase()}.sasl.jaas.config`]: jaas,
    'ssl.keystore.type': 'PEM',
    'ssl.keystore.location': BROKER_KEYSTORE,
    'ssl.truststore.type': 'PEM',
    'ssl.truststore.location': CA_FILE,
  };
}

/** A local CA and a broker certificate for 127.0.0.1 and localhost, made with openssl whenever one is missing. */
function ensureCertificates(log) {
  if (fs.existsSync(CA_FILE) && fs.existsSync(BROKER_KEYSTORE)) return;
  log(`Generating a CA and the broker's certificate in ${path.relative(ROOT, TLS_DIR)}...`);
  fs.rmSync(TLS_DIR, { recursive: true, force: true });
  fs.mkdirSync(TLS_DIR, { recursive: true });
  const file = (name) => path.join(TLS_DIR, name);
  fs.writeFileSync(file('broker.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n');
  // -nodes: unencrypted keys (PKCS#8), which Kafka's PEM keystore reads without a key password.
  openssl(
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '3650', '-subj', '/CN=saga local Kafka CA'].concat(
      ['-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'],
      ['-keyout', file('ca.key'), '-out', CA_FILE],
    ),
  );
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-keyout', file('broker.key'), '-out', file('broker.csr')]);
  openssl(
    ['x509', '-req', '-in', file('broker.csr'), '-CA', CA_FILE, '-CAkey', file('ca.key'), '-days', '825'].concat([
      '-set_serial',
      `0x${randomBytes(8).toString('hex')}`,
      '-extfile',
      file('broker.ext'),
      '-out',
      file('broker.crt'),
    ]),
  );
  // Written last: its presence means the set is complete.
  fs.writeFileSync(BROKER_KEYSTORE, [file('broker.key'), file('broker.crt'), CA_FILE].map((pem) => fs.readFileSync(pem, 'utf8')).join(''));
}

function openssl(args) {
  const result = spawnSync('openssl', args, { encoding: 'utf8' });
  if (result.error?.code === 'ENOENT')
    throw new Error("openssl is not installed; it is needed to make the SASL_SSL broker's certificates.");
  if (result.status !== 0) throw new Error(`openssl ${args[0]} failed (exit ${result.status}):\n${result.stderr}`);
}

// ------------------------------------------------------------- local brokers

async function joinRunning(nodes, log) {
  const brokers = bootstrapOf(nodes);
  const size = await clusterSize(brokers);
  if (size < nodes.length) {
    throw new Error(
      `A Kafka cluster of ${size} broker(s) already answers at 127.0.0.1:9092; stop it (npm run kafka:stop) to start ${nodes.length}.`,
    );
  }
  log(`Kafka (${size} broker${size === 1 ? '' : 's'}) is already running at ${brokers}; not starting another.`);
  return { brokers, startedHere: false };
}

async function startOrJoinLocal(nodes, log) {
  // Re-check under the lock: a concurrent caller may have just started it.
  if (await brokerAnswers(bootstrapOf(nodes))) return joinRunning(nodes, log);
  const booting = nodes.filter((node) => {
    const pid = readPid(node.pidFile);
    return pid && isOurBroker(pid, node);
  });
  if (booting.length === nodes.length) {
    // Started earlier (e.g. by a run that was interrupted) and still booting.
    log('Kafka is still starting; waiting for it...');
    await waitUntilUp(nodes, Date.now());
    return { brokers: bootstrapOf(nodes), startedHere: false };
  }

  const version = kafkaVersion();
  const libs = fetchJars(version, log);
  requireJava();
  for (const node of nodes) writeConfig(node, nodes);
  formatStorageOnce(libs, nodes, log);

  const where = nodes.length === 1 ? path.relative(ROOT, nodes[0].dir) : path.relative(ROOT, path.dirname(nodes[0].dir));
  log(`Starting Kafka ${version} at ${bootstrapOf(nodes)} (data in ${where})...`);
  const startedAt = Date.now();
  for (const node of nodes) {
    const pid = readPid(node.pidFile);
    if (!pid || !isOurBroker(pid, node)) launchBroker(libs, node);
  }
  await waitUntilUp(nodes, startedAt);
  log(`Kafka ${version} is up at ${bootstrapOf(nodes)} after ${seconds(Date.now() - startedAt)}.`);
  return { brokers: bootstrapOf(nodes), startedHere: true };
}

/** The broker's Kafka version, from kafka/pom.xml. */
export function kafkaVersion() {
  const match = fs.readFileSync(POM, 'utf8').match(/<kafka\.version>\s*([^<\s]+)\s*<\/kafka\.version>/);
  if (!match) throw new Error(`No <kafka.version> in ${POM}`);
  return match[1];
}

/** Downloads the broker's runtime classpath once per pom content; returns the libs folder. */
function fetchJars(version, log) {
  return fetchClasspath({ pom: POM, cacheDir: path.join(ROOT, '.cache', 'kafka', version), what: `Apache Kafka ${version} jars`, log });
}

/**
 * Copies the runtime classpath of `pom` (with Maven `properties`, "-Dname=value") from Maven
 * Central into `cacheDir`/libs, once per pom content; returns that libs folder. `what` names it
 * in messages.
 */
export function fetchClasspath({ pom, cacheDir, what, properties = [], log = console.log }) {
  const libs = path.join(cacheDir, 'libs');
  const marker = path.join(cacheDir, '.complete');
  // The marker holds the pom's hash, so editing the pom (e.g. a log4j bump) refetches.
  const pomHash = createHash('sha256').update(fs.readFileSync(pom)).digest('hex');
  if (fs.existsSync(marker) && fs.readFileSync(marker, 'utf8').trim() === pomHash) return libs;

  log(`Fetching ${what} from Maven Central (first run only)...`);
  const startedAt = Date.now();
  // copy-dependencies never deletes, so start clean to avoid two versions of a jar.
  fs.rmSync(cacheDir, { recursive: true, force: true });
  fs.mkdirSync(libs, { recursive: true });
  const mvn = spawnSync(
    'mvn',
    [
      '-q',
      '-B',
      '-Dstyle.color=never',
      '-f',
      pom,
      ...properties,
      'dependency:copy-dependencies',
      `-DoutputDirectory=${libs}`,
      '-DincludeScope=runtime',
    ],
    { cwd: ROOT, encoding: 'utf8' },
  );
  if (mvn.error?.code === 'ENOENT') throw new Error(`Maven (mvn) is not installed; it is needed once to fetch ${what}.`);
  if (mvn.status !== 0) {
    throw new Error(`Fetching ${what} failed (mvn exit ${mvn.status}):\n${mvn.stdout}${mvn.stderr}`);
  }
  fs.writeFileSync(marker, `${pomHash}\n`);
  log(`Fetched ${fs.readdirSync(libs).length} jars in ${seconds(Date.now() - startedAt)} into ${path.relative(ROOT, libs)}.`);
  return libs;
}

function requireJava() {
  const java = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (java.error?.code === 'ENOENT') throw new Error('Java (17+) is not installed; the Kafka broker needs it.');
}

/** Rewritten on every start so the files always match this script; `overrides` replace or add broker settings. */
function writeConfig(node, nodes, overrides = {}) {
  fs.mkdirSync(node.logDirs, { recursive: true });
  const cluster = nodes.length;
  // Internal topics cannot have more replicas than brokers; on a cluster, two in sync are required.
  const replicas = Math.min(3, cluster);
  const inSync = cluster >= 3 ? 2 : 1;
  const server = {
    'process.roles': 'broker,controller',
    'node.id': node.id,
    // One node is its own quorum (formatted --standalone); a cluster has static voters.
    ...(cluster === 1
      ? { 'controller.quorum.bootstrap.servers': `127.0.0.1:${node.controllerPort}` }
      : { 'controller.quorum.voters': nodes.map((other) => `${other.id}@127.0.0.1:${other.controllerPort}`).join(',') }),
    listeners: `PLAINTEXT://127.0.0.1:${node.port},CONTROLLER://127.0.0.1:${node.controllerPort}`,
    'advertised.listeners': `PLAINTEXT://127.0.0.1:${node.port}`,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    'log.dirs': node.logDirs,
    'num.partitions': 3,
    'default.replication.factor': replicas,
    'min.insync.replicas': inSync,
    'offsets.topic.replication.factor': replicas,
    'offsets.topic.num.partitions': 3,
    'transaction.state.log.replication.factor': replicas,
    'transaction.state.log.min.isr': inSync,
    'share.coordinator.state.topic.replication.factor': replicas,
    'share.coordinator.state.topic.min.isr': inSync,
    // Consumers join a group immediately instead of waiting 3 s for others.
    'group.initial.rebalance.delay.ms': 0,
    // Topics are created up front with the right partition count, never by accident.
    'auto.create.topics.enable': false,
    ...overrides,
  };
  const log4j = {
    status: 'error',
    'appender.file.type': 'File',
    'appender.file.name': 'FILE',
    'appender.file.fileName': node.brokerLog,
    'appender.file.layout.type': 'PatternLayout',
    'appender.file.layout.pattern': '[%d] %p %m (%c)%n',
    'rootLogger.level': 'WARN',
    'rootLogger.appenderRef.file.ref': 'FILE',
  };
  fs.writeFileSync(node.serverProperties, toProperties(server, 'Generated by scripts/kafka.mjs; edits are overwritten.'));
  fs.writeFileSync(node.log4jProperties, toProperties(log4j, 'Generated by scripts/kafka.mjs: WARN and above to broker.log.'));
}

function toProperties(entries, comment) {
  return `# ${comment}\n${Object.entries(entries)
    .map(([key, value]) => `${key}=${value}`)
    .join('\n')}\n`;
}

/** KRaft storage must be formatted (all nodes with one cluster id) exactly once before the first start. */
function formatStorageOnce(libs, nodes, log, formatArgs = []) {
  const unformatted = nodes.filter((node) => !fs.existsSync(path.join(node.logDirs, 'meta.properties')));
  if (unformatted.length === 0) return;
  if (unformatted.length !== nodes.length)
    throw new Error(`Kafka storage is formatted on some nodes only; delete ${path.dirname(nodes[0].dir)} to start over.`);
  log('Formatting Kafka storage (first start)...');
  const clusterId = storageTool(libs, nodes[0], ['random-uuid']).trim();
  // One node is its own quorum (--standalone); a cluster's static voters are in controller.quorum.voters.
  const mode = nodes.length === 1 ? ['--standalone'] : [];
  for (const node of nodes) storageTool(libs, node, ['format', ...mode, '-t', clusterId, '-c', node.serverProperties, ...formatArgs]);
}

function storageTool(libs, node, args) {
  const result = spawnSync('java', [...javaClasspathArgs(libs, node), 'kafka.tools.StorageTool', ...args], {
    cwd: node.dir,
    encoding: 'utf8',
  });
  if (result.status !== 0) {
    throw new Error(`kafka.tools.StorageTool ${args[0]} failed (exit ${result.status}):\n${result.stdout}${result.stderr}`);
  }
  return result.stdout;
}

function javaClasspathArgs(libs, node) {
  // The JVM expands the "dir/*" wildcard itself (no shell involved).
  return ['-cp', `${libs}${path.sep}*`, `-Dlog4j2.configurationFile=${node.log4jProperties}`];
}

/** Starts one node in its own process group so it outlives this script. Returns its pid. */
export function launchBroker(libs, node) {
  const out = fs.openSync(node.brokerOut, 'w');
  try {
    const child = spawn('java', ['-Xms256m', '-Xmx768m', ...javaClasspathArgs(libs, node), 'kafka.Kafka', node.serverProperties], {
      cwd: node.dir,
      detached: true,
      stdio: ['ignore', out, out],
    });
    child.unref();
    fs.writeFileSync(node.pidFile, `${child.pid}\n`);
    return child.pid;
  } finally {
    fs.closeSync(out); // the child keeps its own copy
  }
}

/** Restarts a node of a local topology that was stopped (for tests that bounce a broker). */
export function restartNode(node) {
  return launchBroker(
    fetchJars(kafkaVersion(), () => {}),
    node,
  );
}

/** Polls until every node answers (to a client with `security`); on failure prints the logs, stops them and throws. */
async function waitUntilUp(nodes, startedAt, security = {}) {
  while (Date.now() - startedAt < STARTUP_TIMEOUT_MS) {
    if ((await brokerAnswers(bootstrapOf(nodes), security)) && (await clusterSize(bootstrapOf(nodes), security)) >= nodes.length) return;
    const exited = nodes.find((node) => {
      const pid = readPid(node.pidFile);
      return !pid || !isOurBroker(pid, node);
    });
    if (exited) {
      const tails = logTails(nodes);
      await stopNodes(nodes);
      throw new Error(`Kafka node ${exited.id} exited during startup.\n${tails}`);
    }
    await sleep(500);
  }
  const tails = logTails(nodes);
  await stopNodes(nodes); // don't leave a half-started cluster behind
  throw new Error(`Kafka did not answer at ${bootstrapOf(nodes)} within ${seconds(STARTUP_TIMEOUT_MS)}.\n${tails}`);
}

/** Stops these nodes only: never another topology (the SASL broker and the plain one run side by side). */
async function stopNodes(nodes) {
  await Promise.all(nodes.map((node) => stopNode(node)));
}

function logTails(nodes, lines = 40) {
  return nodes
    .flatMap((node) => [node.brokerLog, node.brokerOut])
    .map((file) => {
      const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trimEnd() : '';
      const tail = text ? text.split('\n').slice(-lines).join('\n') : '(empty)';
      return `--- ${path.relative(ROOT, file)} (last ${lines} lines) ---\n${tail}`;
    })
    .join('\n');
}

// --------------------------------------------------------- brokers & topics

/**
 * The kafkajs settings of `security`, which has the shape of libs/messaging's
 * KafkaConnection without the brokers: `{ ssl?: { ca: pem }, sasl?: { mechanism, username, password } }`.
 */
function clientSecurity({ ssl, sasl } = {}) {
  // A copy of sasl: kafkajs adds its authenticator (bound to the password) to the object it gets.
  return { ...(ssl && { ssl: { ca: [ssl.ca] } }), ...(sasl && { sasl: { ...sasl } }) };
}

/** The TLS and SASL settings in the environment (KAFKA_SSL_CA, KAFKA_SASL_*), read as the services read them. */
function securityFromEnv(env = process.env) {
  const { KAFKA_SSL_CA: ca, KAFKA_SASL_MECHANISM: mechanism, KAFKA_SASL_USERNAME: username, KAFKA_SASL_PASSWORD: password } = env;
  return {
    ...(ca && { ssl: { ca: fs.readFileSync(ca, 'utf8') } }),
    ...(mechanism && { sasl: { mechanism: mechanism.toLowerCase(), username, password } }),
  };
}

/** True if a broker at `brokers` answers a metadata request right now. */
async function brokerAnswers(brokers, security = {}) {
  const admin = new Kafka({
    clientId: 'kafka-script',
    brokers: brokers
      .split(',')
      .map((broker) => broker.trim())
      .filter(Boolean),
    ...clientSecurity(security),
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

/** How many brokers the cluster at `brokers` has. */
async function clusterSize(brokers, security = {}) {
  const admin = new Kafka({
    clientId: 'kafka-script',
    brokers: brokers.split(','),
    ...clientSecurity(security),
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
  }).admin();
  try {
    await admin.connect();
    return (await admin.describeCluster()).brokers.length;
  } catch {
    return 0;
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

/**
 * The consumer-offsets topic is created on the first group lookup, and until it
 * exists every consumer logs "group coordinator is not available" errors. Looking
 * up a group here takes that hit once, quietly.
 */
async function warmUpGroupCoordinator(brokers, security = {}) {
  const admin = new Kafka({
    clientId: 'kafka-script',
    brokers: brokers.split(','),
    ...clientSecurity(security),
    logLevel: logLevel.NOTHING,
  }).admin();
  try {
    await admin.connect();
    await admin.describeGroups(['kafka-script-warm-up']);
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

async function waitForExternal(brokers, security) {
  const deadline = Date.now() + EXTERNAL_TIMEOUT_MS;
  while (!(await brokerAnswers(brokers, security))) {
    if (Date.now() > deadline) throw new Error(`No Kafka broker answers at KAFKA_BROKERS=${brokers}.`);
    await sleep(500);
  }
}

/** Creates every saga topic up front, with the compiled topic list of libs/contracts. */
async function createTopics(brokers, log, security = {}) {
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
  const created = await ensureTopics({ brokers, ...security }, new Topics(process.env.KAFKA_TOPIC_PREFIX ?? '').all());
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
function isOurBroker(pid, node) {
  if (!isAlive(pid)) return false;
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(node.serverProperties);
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

async function waitForExit(pid, node, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (isOurBroker(pid, node)) {
    if (Date.now() > deadline) return false;
    await sleep(250);
  }
  return true;
}

/** Runs `fn` while holding a lock file; a lock left by a dead process is taken over. */
async function withStartLock(fn, lockFile = LOCK_FILE) {
  fs.mkdirSync(path.dirname(lockFile), { recursive: true });
  const deadline = Date.now() + LOCK_TIMEOUT_MS;
  for (;;) {
    try {
      fs.writeFileSync(lockFile, `${process.pid}\n`, { flag: 'wx' });
      break;
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
      const owner = readPid(lockFile);
      if (!owner || !isAlive(owner)) {
        fs.rmSync(lockFile, { force: true });
      } else if (Date.now() > deadline) {
        throw new Error(`Another start (pid ${owner}) holds ${lockFile}; giving up waiting.`, { cause: error });
      } else {
        await sleep(500);
      }
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(lockFile, { force: true });
  }
}

// ---------------------------------------------------------------------- CLI

async function status() {
  const brokers = process.env.KAFKA_BROKERS?.trim() || bootstrapOf(nodesOf(1));
  const security = process.env.KAFKA_BROKERS?.trim() ? securityFromEnv() : {};
  const ours = allKnownNodes().filter((node) => {
    const pid = readPid(node.pidFile);
    return pid && isOurBroker(pid, node);
  });
  const started = ours.length > 0 ? ` (${ours.length} node(s) started by this script)` : '';
  if (await brokerAnswers(brokers, security)) {
    console.log(`Kafka is running at ${brokers} with ${await clusterSize(brokers, security)} broker(s)${started}.`);
    return 0;
  }
  console.log(started ? `Kafka${started} is running but not answering at ${brokers} yet.` : `Kafka is not running at ${brokers}.`);
  return 1;
}

function brokersOption(args) {
  const index = args.indexOf('--brokers');
  if (index === -1) return 1;
  const count = Number(args[index + 1]);
  if (count !== 1 && count !== 3) throw new Error('--brokers takes 1 or 3');
  return count;
}

async function main(command, args) {
  switch (command) {
    case 'start':
      if (args.includes('--sasl')) {
        const { env } = await startSecureBroker();
        console.log(
          `Connect the services with:\n${Object.entries(env)
            .map(([name, value]) => `  export ${name}=${value}`)
            .join('\n')}`,
        );
      } else {
        await ensureBroker({ count: brokersOption(args) });
      }
      return 0;
    case 'stop':
      await (args.includes('--sasl') ? stopSecureBroker() : stopBroker());
      return 0;
    case 'status':
      return status();
    default:
      console.error('Usage: node scripts/kafka.mjs <start [--brokers 1|3 | --sasl]|stop [--sasl]|status>');
      return 2;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv[2], process.argv.slice(3)).then(
    (code) => process.exit(code),
    (error) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(1);
    },
  );
}
