import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { getPayment, ORDER, placeOrder, waitForTerminal } from './support/http.js';
import { SagaSystem } from './support/saga-system.js';

/** What scripts/kafka.mjs's startSecureBroker resolves to (the script is plain JavaScript). */
interface SecureBroker {
  readonly brokers: string;
  readonly ssl: { readonly ca: string };
  readonly sasl: { readonly mechanism: 'scram-sha-512'; readonly username: string; readonly password: string };
  /** KAFKA_BROKERS, KAFKA_SSL_CA, KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD. */
  readonly env: Record<string, string>;
  readonly startedHere: boolean;
}

interface KafkaScript {
  startSecureBroker(options: { log: (line: string) => void; topics: boolean }): Promise<SecureBroker>;
  stopSecureBroker(options: { log: (line: string) => void }): Promise<boolean>;
}

const ROOT = resolve(import.meta.dirname, '..', '..');
const quiet = () => {};
// CI installs Java; without it there is no broker to run, so say so instead of failing.
const hasJava = spawnSync('java', ['-version']).error === undefined;
if (!hasJava) console.warn('kafka-security e2e skipped: Java is not installed, and the SASL_SSL broker (scripts/kafka.mjs) needs it.');

(hasJava ? describe : describe.skip)('Kafka over SASL_SSL (SCRAM-SHA-512)', () => {
  let script: KafkaScript;
  let broker: SecureBroker;
  let system: SagaSystem;

  // What the set-up did, with the seconds since it began: printed if it did not finish.
  const setUp: string[] = [];
  let startedAt = Date.now();
  const note = (line: string) => setUp.push(`${((Date.now() - startedAt) / 1000).toFixed(1)} s  ${line}`);

  // Up to 90 s for the broker to answer (scripts/kafka.mjs, after making certificates and formatting its storage
  // on a fresh clone), then up to 60 s for the services (SagaSystem): each fails with its own message before this.
  // Jest's 90 s, which was less than the two, ended a CI run where two test files at a time shared the two cores.
  beforeAll(async () => {
    startedAt = Date.now();
    script = (await import(pathToFileURL(join(ROOT, 'scripts', 'kafka.mjs')).href)) as KafkaScript;
    // A broker of its own on 9192: clients must use TLS and SCRAM there (the plain one on 9092 is not involved).
    broker = await script.startSecureBroker({ log: note, topics: false });
    note('starting the services');
    system = await SagaSystem.start({
      brokers: broker.brokers,
      env: { ...broker.env, PAYMENT_FAILURE_RATE: '0', INVENTORY_FAILURE_RATE: '0' },
    });
    note('the services are up');
  }, 180_000);

  afterAll(async () => {
    if (!system) console.warn(`the SASL_SSL set-up did not finish; how far it got:\n${setUp.join('\n')}`);
    await system?.stop();
    if (broker?.startedHere) await script.stopSecureBroker({ log: quiet });
  });

  it('runs an order through the saga with every service connected by the four KAFKA_SSL/SASL variables', async () => {
    const orderId = await placeOrder(system, ORDER);

    const { order } = await waitForTerminal(system, orderId);

    expect(order.status).toBe('completed');
    expect((await getPayment(system, orderId)).body).toMatchObject({ status: 'completed', amount: 50 });
    // The events are on the secure broker: its one listener is SASL_SSL, so every client of the saga authenticated.
    const admin = clientOf(broker).admin();
    await admin.connect();
    try {
      const partitions = await admin.fetchTopicOffsets(system.topic('order.completed'));
      expect(partitions.reduce((sum, { high, low }) => sum + Number(high) - Number(low), 0)).toBe(1);
    } finally {
      await admin.disconnect();
    }
  });

  it('refuses a client with a wrong password', async () => {
    const admin = clientOf(broker, 'not-the-password').admin();
    try {
      await expect(admin.connect()).rejects.toMatchObject({
        name: 'KafkaJSSASLAuthenticationError',
        message: expect.stringContaining('invalid credentials'),
      });
    } finally {
      await admin.disconnect();
    }
  });
});

function clientOf(broker: SecureBroker, password = broker.sasl.password): Kafka {
  return new Kafka({
    clientId: 'e2e-security',
    brokers: [broker.brokers],
    ssl: { ca: [broker.ssl.ca] },
    // Field by field: kafkajs adds its authenticator, bound to the password, to the object it is given.
    sasl: { mechanism: broker.sasl.mechanism, username: broker.sasl.username, password },
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
  });
}
