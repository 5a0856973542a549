import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { SagaSystem, sleep } from './support/saga-system.js';
import { eventually, getOrder, getPayment, ORDER, placeOrder, waitForTerminal } from './support/http.js';
import { kafkaFor, produce, readTopic, schemaBreakingOrder, waitUntilConsumed } from './support/kafka.js';

const ROOT = resolve(import.meta.dirname, '..', '..');

interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** `node scripts/dlq.mjs ...args` against this system's broker and topic prefix, as an operator would run it. */
function dlq(system: SagaSystem, args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [resolve(ROOT, 'scripts', 'dlq.mjs'), ...args], {
      cwd: ROOT,
      env: { ...process.env, KAFKA_BROKERS: system.brokers, KAFKA_TOPIC_PREFIX: system.prefix, NODE_OPTIONS: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', fail);
    child.once('close', (code) => done({ code, stdout, stderr }));
  });
}

/** The dead-letter CLI (scripts/dlq.mjs) against the four services and the real broker. */
describe('npm run dlq: list, show and redrive dead letters', () => {
  let system: SagaSystem;

  beforeAll(async () => {
    // Every payment and reservation succeeds: the redriven order was charged once, and must stay so.
    system = await SagaSystem.start({ env: { PAYMENT_FAILURE_RATE: '0', INVENTORY_FAILURE_RATE: '0', SIMULATION_SEED: 'e2e-dlq-cli' } });
  });
  afterAll(() => system?.stop());

  it('lists dead letters with their reasons and shows one in full', async () => {
    const kafka = kafkaFor(system);
    const topic = system.topic('order.created');
    const orderId = '7a1d2c3e-0000-4000-8000-000000000001';
    const invalid = schemaBreakingOrder(orderId);
    const binary = Buffer.from([0xff, 0x00, 0xfe, 0x41]);
    await produce(kafka, topic, [
      { partition: 2, key: orderId, value: invalid },
      { partition: 0, key: 'poison-binary', value: binary },
    ]);
    const letters = await eventually(
      () => readTopic(kafka, system.topic('saga.dead-letter')),
      (messages) => messages.filter((m) => m.headers['dlq-service'] === 'payment-service').length >= 2,
      20_000,
      'two dead letters from payment-service',
    );
    const schemaLetter = letters.find((m) => m.headers['dlq-service'] === 'payment-service' && m.key === orderId)!;
    const binaryLetter = letters.find((m) => m.headers['dlq-service'] === 'payment-service' && m.key === 'poison-binary')!;
    const schemaPosition = `${schemaLetter.partition}:${schemaLetter.offset}`;
    const binaryPosition = `${binaryLetter.partition}:${binaryLetter.offset}`;

    const list = await dlq(system, ['list']);
    expect(list).toMatchObject({ code: 0, stderr: '' });
    const line = list.stdout.split('\n').find((l) => l.startsWith(`${schemaPosition} `) && l.includes('payment-service'));
    expect(line).toBeDefined();
    expect(line).toContain(`${topic}[2]@${schemaLetter.headers['dlq-offset']}`);
    expect(line).toContain(orderId);
    expect(line).toMatch(/InvalidEventError: invalid payload/);
    expect(list.stdout.trimEnd().split('\n').at(-1)).toMatch(/^\d+ dead letters in /);
    expect(list.stdout.trimEnd().endsWith(`dead letters in ${system.topic('saga.dead-letter')}`)).toBe(true);

    const json = await dlq(system, ['list', '--service', 'payment-service', '--topic', 'order.created', '--since', '1h', '--json']);
    expect(json.code).toBe(0);
    const listed = JSON.parse(json.stdout);
    expect(listed).toHaveLength(2);
    expect(listed).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          position: schemaPosition,
          service: 'payment-service',
          topic,
          originalPartition: 2,
          key: orderId,
          reason: expect.stringMatching(/invalid payload: items\.0\.quantity must not be less than 1/),
        }),
        expect.objectContaining({ position: binaryPosition, key: 'poison-binary', reason: expect.stringMatching(/not a JSON object/) }),
      ]),
    );
    const future = await dlq(system, ['list', '--since', '2999-01-01T00:00:00Z']);
    expect(future).toMatchObject({ code: 0, stdout: expect.stringMatching(/^0 dead letters \(of \d+\) in /m) });

    const show = await dlq(system, ['show', schemaPosition]);
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(/reason +InvalidEventError: invalid payload: items\.0\.quantity must not be less than 1/);
    expect(show.stdout).toContain(`key         ${orderId}`);
    expect(show.stdout).toContain('dlq-service: payment-service');
    expect(show.stdout).toContain(`dlq-topic: ${topic}`);
    expect(show.stdout).toContain('Value (JSON');
    expect(show.stdout).toContain('"quantity": -5'); // pretty-printed
    // The dead letter is the original message byte for byte.
    const full = JSON.parse((await dlq(system, ['show', schemaPosition, '--json'])).stdout);
    expect(full.value).toBe(invalid);

    const showBinary = await dlq(system, ['show', binaryPosition]);
    expect(showBinary.code).toBe(0);
    expect(showBinary.stdout).toContain('Value (binary, 4 bytes)');
    expect(showBinary.stdout).toContain('ff 00 fe 41');
  });

  it('redrives a dead letter to its original topic, and the inbox skips an event that was already applied', async () => {
    const kafka = kafkaFor(system);
    const orderId = await placeOrder(system, ORDER);
    const { order } = await waitForTerminal(system, orderId);
    expect(order.status).toBe('completed');
    const payment = (await getPayment(system, orderId)).body;
    expect(payment.status).toBe('completed');

    // A real OrderCreated, put on the DLQ topic as payment-service would dead-letter it.
    const createdTopic = system.topic('order.created');
    const dlqTopic = system.topic('saga.dead-letter');
    const original = (await readTopic(kafka, createdTopic)).find((m) => m.key === orderId)!;
    const producer = kafka.producer();
    await producer.connect();
    const [sent] = await producer.send({
      topic: dlqTopic,
      messages: [
        {
          key: original.key,
          value: original.value,
          headers: {
            ...original.headers,
            'dlq-reason': 'Error: a failure that has been fixed since',
            'dlq-service': 'payment-service',
            'dlq-topic': createdTopic,
            'dlq-partition': String(original.partition),
            'dlq-offset': original.offset,
            'dlq-at': new Date().toISOString(),
          },
        },
      ],
    });
    await producer.disconnect();
    const position = `${sent.partition}:${sent.baseOffset}`;
    const createdBefore = (await readTopic(kafka, createdTopic)).length;

    const refused = await dlq(system, ['redrive']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/redrive needs a choice: --offset, --topic, --service or --since/);
    expect(refused.stderr).toMatch(/dangerous; add --all/);

    const dryRun = await dlq(system, ['redrive', '--offset', position, '--dry-run']);
    expect(dryRun.code).toBe(0);
    expect(dryRun.stdout).toContain(`would redrive  ${position} → ${createdTopic}[${original.partition}]`);
    expect(dryRun.stdout).toContain('Dry run: would redrive 1 dead letter; nothing was sent.');
    expect((await readTopic(kafka, createdTopic)).length).toBe(createdBefore);

    const redriven = await dlq(system, ['redrive', '--offset', position]);
    expect(redriven).toMatchObject({ code: 0, stderr: '' });
    expect(redriven.stdout).toContain('Redrove 1 dead letter.');

    // Same key, value and partition; the original headers without the dlq-* ones, plus where it came from.
    const copies = (await readTopic(kafka, createdTopic)).filter((m) => m.key === orderId);
    expect(copies).toHaveLength(2);
    const copy = copies.find((m) => m.offset !== original.offset)!;
    const originalHeaders = Object.fromEntries(Object.entries(original.headers).filter(([name]) => !name.startsWith('dlq-')));
    expect(copy).toMatchObject({ partition: original.partition, value: original.value });
    expect(copy.headers).toEqual({ ...originalHeaders, 'dlq-redriven-from': `${dlqTopic}[${sent.partition}]@${sent.baseOffset}` });

    // payment-service read it, skipped it (its inbox had the eventId), and dead-lettered nothing.
    await waitUntilConsumed(kafka, `${system.prefix}payment-service`, createdTopic, copy.partition, copy.offset);
    expect((await getPayment(system, orderId)).body).toEqual(payment);
    await sleep(500); // a second charge would reach Kafka right after its commit (outbox): give it the time to show
    const completed = (await readTopic(kafka, system.topic('payment.completed'))).filter((m) => m.key === orderId);
    expect(completed).toHaveLength(1);
    expect((await readTopic(kafka, dlqTopic)).filter((m) => m.key === orderId)).toHaveLength(1); // the one put there above
    expect((await getOrder(system, orderId)).status).toBe('completed');
  });

  it('exits 1 with a clear message on a bad argument, an unknown position or an unreachable broker', async () => {
    const cases: Array<[string[], RegExp, Record<string, string>?]> = [
      [[], /no command given/],
      [['frobnicate'], /unknown command "frobnicate"/],
      [['list', '--bogus'], /Unknown option '--bogus'/],
      [['list', '--since', 'yesterday'], /--since "yesterday" is neither a duration/],
      [['show'], /show takes one position/],
      [['show', 'x:y'], /"x:y" is not a position/],
      [['show', '0:999999'], /no dead letter at 0:999999/],
      [['redrive', '--offset', '0:999999'], /no dead letter at 0:999999/],
      [['list'], /cannot reach Kafka at 127\.0\.0\.1:1 \(KAFKA_BROKERS\)/, { KAFKA_BROKERS: '127.0.0.1:1' }],
      [['list'], /topic no-such-prefix\.saga\.dead-letter does not exist/, { KAFKA_TOPIC_PREFIX: 'no-such-prefix.' }],
    ];
    for (const [args, message, env] of cases) {
      const result = await dlq(system, args, env);
      expect({ args, code: result.code, stdout: result.stdout }).toEqual({ args, code: 1, stdout: '' });
      expect(result.stderr).toMatch(message);
    }
    expect(await dlq(system, ['--help'])).toMatchObject({ code: 0, stdout: expect.stringContaining('Usage: npm run dlq') });
  });
});
