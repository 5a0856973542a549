import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kafka, logLevel } from 'kafkajs';
import { kafkaFor } from '../../e2e/support/kafka.js';
import { sleep, type SagaSystem, type ServiceName } from '../../e2e/support/saga-system.js';

const ROOT = resolve(import.meta.dirname, '..', '..', '..');

// ------------------------------------------------------------------ the broker

/**
 * SIGKILLs a local broker that scripts/kafka.mjs started (node `nodeId` of the topology
 * of `count` nodes) and starts it again at once; resolves when the cluster answers with
 * all its brokers again. Throws when the broker was not started by scripts/kafka.mjs
 * (KAFKA_BROKERS points elsewhere): then there is nothing this suite may kill.
 */
export async function killAndRestartBroker(brokers: string, count: number, nodeId = 1): Promise<{ downMs: number }> {
  const killedAt = Date.now();
  onLocalNode(count, nodeId, { kill: true, restart: true });
  await waitForBrokers(brokers, count, 120_000);
  return { downMs: Date.now() - killedAt };
}

/** SIGKILLs node `nodeId` of the local topology of `count` nodes, and leaves it down. */
export function killBroker(count: number, nodeId: number): void {
  onLocalNode(count, nodeId, { kill: true, restart: false });
}

/** Starts node `nodeId` of the local topology of `count` nodes again; resolves when all `count` brokers answer. */
export async function restartBroker(brokers: string, count: number, nodeId: number): Promise<void> {
  onLocalNode(count, nodeId, { kill: false, restart: true });
  await waitForBrokers(brokers, count, 120_000);
}

/** SIGKILLs and/or starts node `nodeId` of the local topology of `count` nodes (in a child: scripts/kafka.mjs is ESM-only JavaScript). */
function onLocalNode(count: number, nodeId: number, { kill, restart }: { kill: boolean; restart: boolean }): void {
  const script = `
    const kafka = await import(${JSON.stringify(join(ROOT, 'scripts', 'kafka.mjs'))});
    const node = kafka.localNodes(${count})[${nodeId - 1}];
    const fs = await import('node:fs');
    if (${kill}) {
      if (!fs.existsSync(node.pidFile)) { console.error('no broker pid file ' + node.pidFile); process.exit(3); }
      await kafka.stopNode(node, console.log, { kill: true });
    }
    if (${restart}) kafka.restartNode(node);
  `;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`could not ${kill ? 'kill' : 'start'} broker ${nodeId}: ${result.stderr || result.stdout}`);
}

export async function brokerCount(brokers: string): Promise<number> {
  const admin = new Kafka({ clientId: 'faults', brokers: brokers.split(','), logLevel: logLevel.NOTHING, retry: { retries: 0 } }).admin();
  try {
    await admin.connect();
    return (await admin.describeCluster()).brokers.length;
  } catch {
    return 0;
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

export async function waitForBrokers(brokers: string, count: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await brokerCount(brokers)) < count) {
    if (Date.now() > deadline) throw new Error(`the broker did not come back within ${timeoutMs} ms`);
    await sleep(250);
  }
}

// ------------------------------------------------------------- consumer groups

/**
 * Stops a service, moves its consumer group back to the earliest offset of every topic
 * it had committed on, and starts it again: it reads its whole history a second time.
 * Resolves to the messages it is made to read again.
 */
export async function replayFromEarliest(system: SagaSystem, service: ServiceName): Promise<number> {
  const admin = kafkaFor(system).admin();
  const groupId = `${system.prefix}${service}`;
  await admin.connect();
  try {
    const committed = await admin.fetchOffsets({ groupId });
    await system.stopService(service, 'SIGTERM');
    let rewound = 0;
    for (const { topic, partitions } of committed) {
      rewound += partitions.reduce((sum, partition) => sum + Math.max(0, Number(partition.offset)), 0);
      // The group must be empty: retry while the broker still counts the stopped member.
      for (let attempt = 0; ; attempt++) {
        try {
          await admin.resetOffsets({ groupId, topic, earliest: true });
          break;
        } catch (error) {
          if (attempt > 60) throw error;
          await sleep(500);
        }
      }
    }
    await system.startService(service);
    return rewound;
  } finally {
    await admin.disconnect();
  }
}

/** True when the group has committed up to the end of every topic it reads. */
export async function caughtUp(system: SagaSystem, service: ServiceName): Promise<boolean> {
  const admin = kafkaFor(system).admin();
  await admin.connect();
  try {
    const committed = await admin.fetchOffsets({ groupId: `${system.prefix}${service}` });
    for (const { topic, partitions } of committed) {
      const ends = await admin.fetchTopicOffsets(topic);
      for (const end of ends) {
        const at = Number(partitions.find((p) => p.partition === end.partition)?.offset ?? -1);
        if (Number(end.high) > Number(end.low) && at < Number(end.high)) return false; // an empty partition has nothing to read
      }
    }
    return committed.length > 0;
  } finally {
    await admin.disconnect();
  }
}

// ------------------------------------------------------------- poison messages

export interface Poison {
  readonly name: string;
  readonly topic: string;
  readonly partition: number;
  readonly key: Buffer | null;
  readonly value: Buffer;
  readonly headers: Record<string, string>;
  /** kcat's -Z: an empty value travels as null. */
  readonly nullValue?: boolean;
}

/** Whether Debian's kcat is on the PATH (an independent client: not kafkajs). */
export function hasKcat(): boolean {
  return spawnSync('kcat', ['-V'], { encoding: 'utf8' }).status === 0;
}

/**
 * Produces each poison message with kcat (one file = one message, so the bytes are
 * exactly the file's), or with a raw kafkajs producer when kcat is missing.
 * Empty and null values go through kcat's key-delimited input (a file would be skipped).
 */
export async function injectPoison(system: SagaSystem, poison: Poison[]): Promise<'kcat' | 'kafkajs'> {
  if (hasKcat()) {
    const dir = mkdtempSync(join(tmpdir(), 'faults-poison-'));
    poison.forEach((message, index) => {
      const file = join(dir, `value-${index}`);
      writeFileSync(file, message.value);
      const args = ['-P', '-b', system.brokers, '-t', message.topic, '-p', String(message.partition), '-X', 'message.max.bytes=1048576'];
      for (const [name, value] of Object.entries(message.headers)) args.push('-H', `${name}=${value}`);
      if (message.nullValue) args.push('-Z');
      // kcat skips an empty file or line; a "key<TAB>" line (-K) is the way to send an empty (or, with -Z, null) value.
      const empty = message.value.length === 0;
      if (empty) args.push('-K', '\t');
      else if (message.key) args.push('-k', message.key.toString('utf8'), file);
      else args.push(file);
      const input = empty ? `${message.key?.toString('utf8') ?? ''}\t\n` : undefined;
      const result = spawnSync('kcat', args, { encoding: 'utf8', input });
      if (result.status !== 0) throw new Error(`kcat failed for ${message.name}: ${result.stderr}`);
    });
    return 'kcat';
  }
  const producer = kafkaFor(system).producer();
  await producer.connect();
  try {
    for (const message of poison) {
      await producer.send({
        topic: message.topic,
        messages: [
          { partition: message.partition, key: message.key, value: message.nullValue ? null : message.value, headers: message.headers },
        ],
      });
    }
  } finally {
    await producer.disconnect();
  }
  return 'kafkajs';
}

// ------------------------------------------------------------------ the outbox

/** Rows a service committed to its outbox and has not published (its SQLite file, read while it is stopped). */
export function unpublishedOutboxRows(system: SagaSystem, service: ServiceName): number {
  const database = new SQLite(system.databaseFile(service), { readonly: true, fileMustExist: true });
  try {
    return (database.prepare('SELECT count(*) AS n FROM outbox').get() as { n: number }).n;
  } finally {
    database.close();
  }
}
