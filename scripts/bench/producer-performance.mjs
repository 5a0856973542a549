// Kafka's own producer benchmark, org.apache.kafka.tools.ProducerPerformance, for context:
// what a JVM client gets from the same broker. The tool is in org.apache.kafka:kafka-tools,
// which the broker's classpath (kafka/pom.xml, fetched by scripts/kafka.mjs) leaves out, so
// its jars are fetched once, at the broker's version, into .cache/kafka-tools/<version>/libs.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fetchClasspath, kafkaVersion } from '../kafka.mjs';
import { ROOT } from '../services.mjs';

const TOOLS_POM = path.join(ROOT, 'scripts', 'bench', 'kafka-tools.pom.xml');
const TIMEOUT_MS = 300_000;

/** kafka-tools and its runtime classpath at the broker's version, fetched once per version and pom content. */
function toolsJars(version, log) {
  return fetchClasspath({
    pom: TOOLS_POM,
    cacheDir: path.join(ROOT, '.cache', 'kafka-tools', version),
    what: `Kafka ${version}'s tools (kafka-tools)`,
    properties: [`-Dkafka.version=${version}`],
    log,
  });
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
