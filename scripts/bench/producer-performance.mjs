// Kafka's own producer benchmark, org.apache.kafka.tools.ProducerPerformance, for context:
// what a JVM client gets from the same broker. The tool is in org.apache.kafka:kafka-tools,
// which the broker's classpath (kafka/pom.xml, fetched by scripts/kafka.mjs) leaves out, so
// its jars are fetched once, at the broker's version, into .cache/kafka-tools/<version>/libs.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from '../services.mjs';

const BROKER_POM = path.join(ROOT, 'kafka', 'pom.xml');
const TOOLS_POM = path.join(ROOT, 'scripts', 'bench', 'kafka-tools.pom.xml');
const TIMEOUT_MS = 300_000;

/** The broker's Kafka version, from kafka/pom.xml (as scripts/kafka.mjs reads it). */
export function kafkaVersion() {
  const match = fs.readFileSync(BROKER_POM, 'utf8').match(/<kafka\.version>\s*([^<\s]+)\s*<\/kafka\.version>/);
  if (!match) throw new Error(`No <kafka.version> in ${BROKER_POM}`);
  return match[1];
}

/** Fetches kafka-tools and its runtime classpath once per version and pom content; returns the folder of jars. */
function toolsJars(version, log) {
  const cacheDir = path.join(ROOT, '.cache', 'kafka-tools', version);
  const libs = path.join(cacheDir, 'libs');
  const marker = path.join(cacheDir, '.complete');
  const pomHash = createHash('sha256').update(fs.readFileSync(TOOLS_POM)).digest('hex');
  if (fs.existsSync(marker) && fs.readFileSync(marker, 'utf8').trim() === pomHash) return libs;
  log(`Fetching Kafka ${version}'s tools (kafka-tools) from Maven Central (first run only)...`);
  fs.rmSync(cacheDir, { recursive: true, force: true });
  fs.mkdirSync(libs, { recursive: true });
  const mvn = spawnSync(
    'mvn',
    [
      '-q',
      '-B',
      '-Dstyle.color=never',
      '-f',
      TOOLS_POM,
      `-Dkafka.version=${version}`,
      'dependency:copy-dependencies',
      `-DoutputDirectory=${libs}`,
      '-DincludeScope=runtime',
    ],
    { cwd: ROOT, encoding: 'utf8' },
  );
  if (mvn.error?.code === 'ENOENT') throw new Error('Maven (mvn) is not installed; it is needed once to fetch kafka-tools.');
  if (mvn.status !== 0) throw new Error(`Fetching kafka-tools failed (mvn exit ${mvn.status}):\n${mvn.stdout}${mvn.stderr}`);
  fs.writeFileSync(marker, `${pomHash}\n`);
  return libs;
}

/**
 * Runs ProducerPerformance against `brokers` on `topic` (which must exist): `records` records
 * of `recordSize` bytes as fast as it can, acks=all. Resolves to its summary line, parsed.
 */
export async function producerPerformance({ brokers, topic, records, recordSize = 200, log = console.log }) {
  const version = kafkaVersion();
  const libs = toolsJars(version, log);
  const args = [
    '-Xmx512m',
    '-cp',
    `${libs}${path.sep}*`,
    'org.apache.kafka.tools.ProducerPerformance',
    '--topic',
    topic,
    '--num-records',
    String(records),
    '--record-size',
    String(recordSize),
    '--throughput',
    '-1',
    '--producer-props',
    `bootstrap.servers=${brokers}`,
    'acks=all',
  ];
  const { code, stdout, stderr } = await run('java', args, TIMEOUT_MS);
  // "200000 records sent, 153846.2 records/sec (29.34 MB/sec), 95.12 ms avg latency, 412.00 ms max latency, 87 ms 50th, 250 ms 95th, 380 ms 99th, 405 ms 99.9th."
  const summary = stdout
    .split('\n')
    .reverse()
    .map((line) =>
      line.match(
        /^(\d+) records sent, ([\d.]+) records\/sec \(([\d.]+) MB\/sec\), ([\d.]+) ms avg latency, ([\d.]+) ms max latency, (\d+) ms 50th, (\d+) ms 95th, (\d+) ms 99th, (\d+) ms 99\.9th/,
      ),
    )
    .find(Boolean);
  if (code !== 0 || !summary) throw new Error(`ProducerPerformance failed (exit ${code}):\n${stdout.slice(-2000)}${stderr.slice(-2000)}`);
  const [, sent, perSecond, mbPerSecond, avg, max, p50, p95, p99] = summary.map(Number);
  return {
    tool: `org.apache.kafka.tools.ProducerPerformance (Kafka ${version})`,
    command: `ProducerPerformance --topic ${topic} --num-records ${records} --record-size ${recordSize} --throughput -1 --producer-props bootstrap.servers=${brokers} acks=all`,
    records: sent,
    recordSize,
    perSecond: Math.round(perSecond),
    mbPerSecond,
    latencyMs: { avg, p50, p95, p99, max },
  };
}

function run(command, args, timeoutMs) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error.code === 'ENOENT' ? new Error(`${command} is not installed`) : error);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
