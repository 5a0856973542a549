#!/usr/bin/env node
// The dead-letter topic, from the command line: see what the services could not process, and
// why, and send chosen messages back to their original topic once the cause is fixed.
//
//   npm run dlq -- list [--topic T] [--service S] [--since 1h|ISO time] [--json]
//   npm run dlq -- show <partition:offset | offset> [--json]
//   npm run dlq -- redrive [--topic T] [--service S] [--since ...] [--offset p:o ...] [--all] [--dry-run]
//
// A dead letter is the original message byte for byte (key, value, headers) plus the dlq-*
// headers (libs/contracts/src/topics.ts). Redriving publishes key and value unchanged to the
// original topic and partition, with the original headers and `dlq-redriven-from`: a service
// that had applied the event already skips it (its inbox knows the eventId).
//
// Reads the topic without a consumer group of its own that would remember anything: the end
// offsets are taken first (admin API), and reading stops there. Nothing is committed.
// KAFKA_BROKERS (default 127.0.0.1:9092) and KAFKA_TOPIC_PREFIX as the services use them.

import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Kafka, logLevel, Partitioners } from 'kafkajs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const TOPICS_MODULE = path.join(ROOT, 'dist', 'libs', 'contracts', 'src', 'topics.js');
const READ_TIMEOUT_MS = 30_000;
const REDRIVEN_FROM = 'dlq-redriven-from';

const USAGE = `Usage: npm run dlq -- <command> [options]

  list     [--topic T] [--service S] [--since 1h|ISO time] [--json]
           one line per dead letter: position in the DLQ (partition:offset), time,
           service, original topic[partition]@offset, key, reason
  show     <partition:offset | offset> [--json]
           one dead letter in full: headers, key, value, reason
  redrive  [--topic T] [--service S] [--since ...] [--offset p:o ...] [--all] [--dry-run]
           publish the chosen dead letters to their original topic again; without a
           selector it refuses, unless --all says to redrive every one

  --topic     the original topic, with or without KAFKA_TOPIC_PREFIX (order.created)
  --since     dead-lettered since: a duration back from now (30s, 15m, 1h, 2d) or an ISO time
  --offset    a dead letter's position, partition:offset (repeat it, or separate with commas)

Environment: KAFKA_BROKERS (default 127.0.0.1:9092), KAFKA_TOPIC_PREFIX (default empty).`;

/** A mistake of the caller: printed with the usage hint, exit 1. */
class UsageError extends Error {}

// ---------------------------------------------------------------- arguments

const OPTIONS = {
  topic: { type: 'string' },
  service: { type: 'string' },
  since: { type: 'string' },
  offset: { type: 'string', multiple: true },
  all: { type: 'boolean' },
  'dry-run': { type: 'boolean' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};
/** The options each command accepts (any other one is an error, not silently ignored). */
const ACCEPTS = {
  list: ['topic', 'service', 'since', 'json'],
  show: ['json'],
  redrive: ['topic', 'service', 'since', 'offset', 'all', 'dry-run'],
};

function parseCommandLine(argv) {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    // Node's own message goes on about "--" and positionals: the first sentence says it.
    throw new UsageError(error.message.replace(/\. To specify a positional argument.*$/s, ''), { cause: error });
  }
  const { values, positionals } = parsed;
  const [command, ...rest] = positionals;
  if (values.help || command === 'help') return { command: 'help' };
  if (!command) throw new UsageError('no command given: list, show or redrive');
  if (!ACCEPTS[command]) throw new UsageError(`unknown command "${command}": list, show or redrive`);
  const refused = Object.keys(values).filter((name) => !ACCEPTS[command].includes(name));
  if (refused.length > 0) throw new UsageError(`${command} takes no --${refused.join(', --')}`);
  if (command === 'show' && rest.length !== 1) throw new UsageError('show takes one position: partition:offset, or an offset');
  if (command !== 'show' && rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"`);
  return {
    command,
    position: command === 'show' ? parsePosition(rest[0]) : undefined,
    topic: values.topic,
    service: values.service,
    since: values.since === undefined ? undefined : parseSince(values.since),
    offsets: (values.offset ?? []).flatMap((value) => value.split(',')).map(parsePosition),
    all: values.all ?? false,
    dryRun: values['dry-run'] ?? false,
    json: values.json ?? false,
  };
}

/** "2:17" → { partition: 2, offset: "17" }; "17" → { offset: "17" } (any partition). */
function parsePosition(text) {
  const match = /^(?:(\d+):)?(\d+)$/.exec(text.trim());
  if (!match) throw new UsageError(`"${text}" is not a position: partition:offset (2:17) or an offset (17)`);
  return { partition: match[1] === undefined ? undefined : Number(match[1]), offset: String(BigInt(match[2])) };
}

/** "90s", "15m", "1h", "2d" back from now, or an ISO time; → epoch ms. */
function parseSince(text) {
  const duration = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text.trim());
  if (duration) {
    const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[duration[2]];
    return Date.now() - Number(duration[1]) * unit;
  }
  const time = /^\d{4}-\d{2}-\d{2}/.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(time)) throw new UsageError(`--since "${text}" is neither a duration (30s, 15m, 1h, 2d) nor an ISO time`);
  return time;
}

// ---------------------------------------------------------------- reading the topic

/** The compiled topic names and header names of libs/contracts (one source of truth with the services). */
async function contracts() {
  const module = fs.existsSync(TOPICS_MODULE) ? await import(pathToFileURL(TOPICS_MODULE).href) : {};
  if (!module.Topics || !module.DeadLetterHeaders) {
    throw new Error(`${path.relative(ROOT, TOPICS_MODULE)} is missing or out of date: run "npm run build" first.`);
  }
  return module;
}

function kafkaClient(brokers) {
  return new Kafka({
    clientId: 'dlq-cli',
    brokers: brokers
      .split(',')
      .map((broker) => broker.trim())
      .filter(Boolean),
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3_000,
    requestTimeout: 10_000,
    retry: { retries: 2 }, // a broker that is down should be reported in seconds, not minutes
  });
}

/**
 * Every message of the topic, from the first offset each partition still holds to the end
 * offsets read before starting: the read ends even while services keep dead-lettering.
 * A throwaway consumer group, never committed, deleted afterwards.
 */
async function readAll(kafka, topic, brokers) {
  const admin = kafka.admin();
  try {
    await admin.connect();
  } catch (error) {
    throw new Error(`cannot reach Kafka at ${brokers} (KAFKA_BROKERS): ${error.message}`, { cause: error });
  }
  try {
    if (!(await admin.listTopics()).includes(topic)) {
      throw new Error(`topic ${topic} does not exist (is KAFKA_TOPIC_PREFIX right? the services create it when they start)`);
    }
    const ranges = await admin.fetchTopicOffsets(topic);
    // Partition → the offset of its last message; empty partitions have nothing to wait for.
    const pending = new Map(ranges.filter((p) => BigInt(p.high) > BigInt(p.low)).map((p) => [p.partition, BigInt(p.high) - 1n]));
    const messages = [];
    if (pending.size === 0) return messages;

    const groupId = `dlq-cli-${randomUUID()}`;
    const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100, allowAutoTopicCreation: false });
    await consumer.connect();
    try {
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await new Promise((done, fail) => {
        const timer = setTimeout(() => fail(new Error(`reading ${topic} took longer than ${READ_TIMEOUT_MS / 1000} s`)), READ_TIMEOUT_MS);
        consumer
          .run({
            autoCommit: false,
            eachMessage: async ({ partition, message }) => {
              const last = pending.get(partition);
              if (last === undefined) return; // past the end read beforehand: not ours to show
              if (BigInt(message.offset) <= last) messages.push(deadLetterOf(topic, partition, message));
              if (BigInt(message.offset) >= last) pending.delete(partition);
              if (pending.size === 0) {
                clearTimeout(timer);
                done();
              }
            },
          })
          .catch(fail);
      });
    } finally {
      await consumer.disconnect();
      await admin.deleteGroups([groupId]).catch(() => {}); // it committed nothing; this only tidies the broker's list
    }
    return messages.sort((a, b) => a.partition - b.partition || (BigInt(a.offset) < BigInt(b.offset) ? -1 : 1));
  } finally {
    await admin.disconnect();
  }
}

/** A message of the DLQ topic with what its dlq-* headers say. */
function deadLetterOf(dlqTopic, partition, message) {
  const headers = Object.entries(message.headers ?? {}).flatMap(([name, value]) =>
    (Array.isArray(value) ? value : [value]).map((one) => [name, one === undefined ? null : Buffer.from(one)]),
  );
  const header = (name) => headers.find(([key]) => key === name)?.[1]?.toString('utf8');
  const at = header(H.at);
  return {
    dlqTopic,
    partition,
    offset: message.offset,
    position: `${partition}:${message.offset}`,
    timestamp: new Date(Number(message.timestamp)).toISOString(),
    at: at && !Number.isNaN(Date.parse(at)) ? at : new Date(Number(message.timestamp)).toISOString(),
    reason: header(H.reason) ?? '(no dlq-reason header)',
    service: header(H.service) ?? '?',
    topic: header(H.topic),
    originalPartition: header(H.partition),
    originalOffset: header(H.offset),
    key: message.key,
    value: message.value,
    headers,
  };
}

/** The dead letters the filters choose. */
function select(letters, { topic, service, since, offsets }, prefix) {
  return letters.filter(
    (letter) =>
      (topic === undefined || letter.topic === topic || letter.topic === prefix + topic) &&
      (service === undefined || letter.service === service) &&
      (since === undefined || Date.parse(letter.at) >= since) &&
      (offsets.length === 0 || offsets.some((position) => matches(letter, position))),
  );
}

const matches = (letter, { partition, offset }) => letter.offset === offset && (partition === undefined || letter.partition === partition);

/** The one dead letter at a position; an offset alone must name exactly one (there is one per partition). */
function find(letters, position, dlqTopic) {
  const found = letters.filter((letter) => matches(letter, position));
  const name = position.partition === undefined ? `offset ${position.offset}` : `${position.partition}:${position.offset}`;
  if (found.length === 0) throw new UsageError(`no dead letter at ${name} in ${dlqTopic} (npm run dlq -- list shows them)`);
  if (found.length > 1) throw new UsageError(`${name} is in several partitions: choose one of ${found.map((l) => l.position).join(', ')}`);
  return found[0];
}

// ---------------------------------------------------------------- printing

const origin = (letter) => `${letter.topic ?? '?'}[${letter.originalPartition ?? '?'}]@${letter.originalOffset ?? '?'}`;

/** A key or value as text when it is printable UTF-8, else null. */
function asText(bytes) {
  if (bytes === null) return null;
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    // eslint-disable-next-line no-control-regex
    return /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(text) ? null : text;
  } catch {
    return null;
  }
}

function describeKey(key) {
  if (key === null) return '(none)';
  return asText(key) ?? `0x${key.toString('hex')}`;
}

/** Hex dump, 16 bytes a line, with the printable ASCII alongside. */
function hexDump(bytes) {
  const lines = [];
  for (let at = 0; at < bytes.length; at += 16) {
    const chunk = bytes.subarray(at, at + 16);
    const hex = [...chunk].map((byte) => byte.toString(16).padStart(2, '0')).join(' ');
    const ascii = [...chunk].map((byte) => (byte >= 0x20 && byte < 0x7f ? String.fromCharCode(byte) : '.')).join('');
    lines.push(`  ${at.toString(16).padStart(8, '0')}  ${hex.padEnd(47)}  ${ascii}`);
  }
  return lines.join('\n');
}

/** The value for a reader: { kind: json | text | binary | null, shown }. */
function describeValue(value) {
  if (value === null) return { kind: 'null', shown: '  (null: no value)' };
  const text = asText(value);
  if (text === null) return { kind: 'binary', shown: hexDump(value) };
  const indent = (s) => s.replace(/^/gm, '  ');
  try {
    const json = JSON.parse(text);
    return { kind: 'JSON', shown: indent(JSON.stringify(json, null, 2)), json };
  } catch {
    return { kind: 'text', shown: indent(text) };
  }
}

function printList(letters, total, dlqTopic) {
  const rows = letters.map((l) => [l.position, l.at, l.service, origin(l), describeKey(l.key)]);
  const headings = ['POSITION', 'DEAD-LETTERED AT', 'SERVICE', 'ORIGINAL', 'KEY'];
  const widths = headings.map((heading, column) => Math.max(heading.length, ...rows.map((row) => row[column].length)));
  const line = (cells) => cells.map((cell, column) => cell.padEnd(widths[column])).join('  ');
  // The reason gets what is left of the terminal's width (at least 40 characters).
  const room = Math.max(
    40,
    (process.stdout.columns || Number(process.env.COLUMNS) || 160) - widths.reduce((sum, width) => sum + width + 2, 0),
  );
  const cut = (reason) => {
    const flat = reason.replace(/\s+/g, ' ');
    return flat.length > room ? `${flat.slice(0, room - 1)}…` : flat;
  };
  if (letters.length > 0) {
    console.log(`${line(headings)}  REASON`);
    letters.forEach((letter, index) => console.log(`${line(rows[index])}  ${cut(letter.reason)}`));
  }
  const of = letters.length === total ? '' : ` (of ${total})`;
  console.log(`${letters.length} dead letter${letters.length === 1 ? '' : 's'}${of} in ${dlqTopic}`);
}

function printLetter(letter) {
  const value = describeValue(letter.value);
  console.log(`Dead letter ${letter.dlqTopic} ${letter.position}`);
  console.log(`  service     ${letter.service}`);
  console.log(`  at          ${letter.at}`);
  console.log(`  original    ${origin(letter)}`);
  console.log(`  reason      ${letter.reason}`);
  console.log(`  key         ${describeKey(letter.key)}`);
  if (typeof value.json === 'object' && value.json?.type) {
    console.log(`  event       ${value.json.type} ${value.json.eventId ?? ''}`.trimEnd());
  }
  console.log(`Headers (${letter.headers.length}):`);
  for (const [name, bytes] of letter.headers) {
    console.log(`  ${name}: ${bytes === null ? '(null)' : (asText(bytes) ?? `0x${bytes.toString('hex')}`)}`);
  }
  console.log(`Value (${value.kind}${letter.value ? `, ${letter.value.length} bytes` : ''}):`);
  console.log(value.shown);
}

/** A dead letter as JSON: text where the bytes are text, base64 where they are not. */
function toJson(letter, { full = false } = {}) {
  const bytes = (b) => (b === null ? null : (asText(b) ?? { base64: b.toString('base64') }));
  const summary = {
    position: letter.position,
    partition: letter.partition,
    offset: letter.offset,
    at: letter.at,
    service: letter.service,
    topic: letter.topic ?? null,
    originalPartition: letter.originalPartition === undefined ? null : Number(letter.originalPartition),
    originalOffset: letter.originalOffset ?? null,
    key: bytes(letter.key),
    reason: letter.reason,
  };
  if (!full) return summary;
  return {
    ...summary,
    timestamp: letter.timestamp,
    headers: letter.headers.map(([name, b]) => ({ name, value: bytes(b) })),
    value: bytes(letter.value),
  };
}

// ---------------------------------------------------------------- redrive

/**
 * Publishes each dead letter to its original topic and partition: same key and value, the
 * original headers (the dlq-* ones removed) and dlq-redriven-from. Only to a saga topic (an
 * event's or a command's) of this prefix: never back to the DLQ, never elsewhere.
 */
async function redrive(kafka, letters, topics, dryRun) {
  const eventTopics = new Set([...topics.events(), ...topics.commands()]); // a command (orchestrated saga) is redriven as an event is
  const skipped = letters.filter((letter) => !eventTopics.has(letter.topic));
  for (const letter of skipped) {
    console.log(
      `skip  ${letter.position}: its original topic ${letter.topic ?? '(no dlq-topic header)'} is not a saga topic of this prefix`,
    );
  }
  const chosen = letters.filter((letter) => eventTopics.has(letter.topic));
  const messageOf = (letter) => ({
    key: letter.key,
    value: letter.value,
    partition: /^\d+$/.test(letter.originalPartition ?? '') ? Number(letter.originalPartition) : undefined,
    headers: headersOf([
      ...letter.headers.filter(([name]) => !name.startsWith('dlq-')),
      [REDRIVEN_FROM, Buffer.from(`${letter.dlqTopic}[${letter.partition}]@${letter.offset}`)],
    ]),
  });
  if (!dryRun && chosen.length > 0) {
    const producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await producer.connect();
    try {
      // One send per dead letter, in DLQ order: messages for one partition keep that order.
      for (const letter of chosen) await producer.send({ topic: letter.topic, messages: [messageOf(letter)] });
    } finally {
      await producer.disconnect();
    }
  }
  for (const letter of chosen) {
    console.log(
      `${dryRun ? 'would redrive' : 'redriven'}  ${letter.position} → ${letter.topic}[${messageOf(letter).partition ?? 'by key'}]  ${letter.service}: ${letter.reason.replace(/\s+/g, ' ').slice(0, 80)}`,
    );
  }
  const count = `${chosen.length} dead letter${chosen.length === 1 ? '' : 's'}`;
  console.log(
    dryRun
      ? `Dry run: would redrive ${count}; nothing was sent.`
      : `Redrove ${count}${skipped.length ? `, skipped ${skipped.length}` : ''}.`,
  );
}

/** [name, bytes] pairs → kafkajs headers; a name that occurs more than once keeps every value, in order. */
function headersOf(pairs) {
  const headers = {};
  for (const [name, bytes] of pairs) {
    const value = bytes ?? undefined;
    headers[name] = name in headers ? [headers[name], value].flat() : value;
  }
  return headers;
}

// ---------------------------------------------------------------- main

let H; // the dead-letter header names, from libs/contracts

async function main(argv) {
  const args = parseCommandLine(argv);
  if (args.command === 'help') return console.log(USAGE);
  if (args.command === 'redrive' && !args.all && !args.topic && !args.service && args.since === undefined && args.offsets.length === 0) {
    throw new UsageError(
      'redrive needs a choice: --offset, --topic, --service or --since (see "list" first). Redriving every dead letter blindly is dangerous; add --all if that is really what you want.',
    );
  }
  const { Topics, DeadLetterHeaders } = await contracts();
  H = DeadLetterHeaders;
  const prefix = process.env.KAFKA_TOPIC_PREFIX ?? '';
  const brokers = process.env.KAFKA_BROKERS?.trim() || '127.0.0.1:9092';
  const topics = new Topics(prefix);
  const kafka = kafkaClient(brokers);

  const letters = await readAll(kafka, topics.deadLetter, brokers);

  if (args.command === 'list') {
    const chosen = select(letters, args, prefix);
    if (args.json)
      console.log(
        JSON.stringify(
          chosen.map((letter) => toJson(letter)),
          null,
          2,
        ),
      );
    else printList(chosen, letters.length, topics.deadLetter);
  } else if (args.command === 'show') {
    const letter = find(letters, args.position, topics.deadLetter);
    if (args.json) console.log(JSON.stringify(toJson(letter, { full: true }), null, 2));
    else printLetter(letter);
  } else {
    // Each --offset must name a dead letter that exists: a typo should not redrive less than meant, silently.
    for (const position of args.offsets) find(letters, position, topics.deadLetter);
    await redrive(kafka, select(letters, args, prefix), topics, args.dryRun);
  }
}

try {
  await main(process.argv.slice(2));
  process.exitCode = 0;
} catch (error) {
  console.error(`dlq: ${error.message}`);
  if (error instanceof UsageError) console.error('Run "npm run dlq -- --help" for the commands and options.');
  process.exitCode = 1;
}
