import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createWriteStream, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import SQLite from 'better-sqlite3';
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import { SAGA_MODES, type SagaMode } from '#contracts';
import { kafkaClientConfig } from '#messaging';
import { kafkaConnection, type KafkaConnectionSettings } from '#service';

export type ServiceName = 'order-service' | 'payment-service' | 'inventory-service' | 'analytics-service';

const ROOT = resolve(import.meta.dirname, '..', '..', '..');
/** Every service: each folder of apps/ is one (test/unit/service-definitions.spec.ts checks that its definition agrees). */
export const SERVICE_NAMES = readdirSync(join(ROOT, 'apps')) as ServiceName[];
const START_TIMEOUT_MS = 60_000;
/**
 * scripts/kafka.mjs (JavaScript), imported once when this file loads: Jest refuses an `import()` between two
 * tests, and where tests run concurrently (the quick fault run) one's end is "between tests" for the others.
 */
const kafkaScript = (await import(pathToFileURL(join(ROOT, 'scripts', 'kafka.mjs')).href)) as {
  deletePrefixed: (kafka: Kafka, prefix: string) => Promise<void>;
};

export type Backend = 'sqlite' | 'postgres';

export interface SystemOptions {
  /** Environment for every service (failure rates, timeouts...). */
  readonly env?: Record<string, string>;
  /** Where the services keep their state: SQLite files (default) or one PostgreSQL database each. */
  readonly backend?: Backend;
  /** Instances of every service (default 1); more than one shares the service's PostgreSQL database. */
  readonly instances?: number;
  /** The brokers the services connect to: KAFKA_BROKERS by default, else 127.0.0.1:9092. */
  readonly brokers?: string;
}

/** The saga suites' systems: each backend (e2eBackends), with the saga choreographed and orchestrated (SAGA_MODE). */
export function sagaVariants(): Array<[Backend, SagaMode]> {
  return e2eBackends().flatMap((backend) => SAGA_MODES.map((mode): [Backend, SagaMode] => [backend, mode]));
}

/** The backends the saga suites run on: SQLite, and PostgreSQL when `npm test` started one (TEST_POSTGRES_URL). */
export function e2eBackends(): Backend[] {
  return process.env.TEST_POSTGRES_URL ? ['sqlite', 'postgres'] : ['sqlite'];
}

/**
 * The four services as real processes (the compiled dist/ build) against the real
 * broker, isolated from any other run by their own topic prefix, consumer groups,
 * ports and data folder. Each service can be stopped, SIGKILLed and restarted.
 */
export class SagaSystem {
  readonly prefix = `e2e-${randomUUID().slice(0, 8)}.`;
  readonly dataDir = mkdtempSync(join(tmpdir(), 'saga-e2e-'));
  readonly brokers: string;
  readonly backend: Backend;
  readonly instances: number;
  /** `service#instance` → its port, and its process while it runs. */
  private readonly ports = new Map<string, number>();
  private readonly processes = new Map<string, ChildProcess>();
  private readonly databaseUrls = new Map<ServiceName, string>();

  private constructor(private readonly options: SystemOptions) {
    this.backend = options.backend ?? 'sqlite';
    this.instances = options.instances ?? 1;
    this.brokers = options.brokers ?? process.env.KAFKA_BROKERS ?? '127.0.0.1:9092';
    if (this.instances > 1 && this.backend !== 'postgres') throw new Error('several instances of a service share a PostgreSQL database');
  }

  static async start(options: SystemOptions = {}): Promise<SagaSystem> {
    const system = new SagaSystem(options);
    for (const name of SERVICE_NAMES) {
      for (let instance = 0; instance < system.instances; instance++) system.ports.set(key(name, instance), await freePort());
    }
    if (system.backend === 'postgres') await system.createDatabases();
    await Promise.all(
      SERVICE_NAMES.flatMap((name) => Array.from({ length: system.instances }, (_, instance) => system.startService(name, { instance }))),
    );
    return system;
  }

  /** A URL of the service: of the given instance, or of the first one that runs. */
  url(service: ServiceName, path = '', instance = this.firstRunning(service)): string {
    return `http://127.0.0.1:${this.ports.get(key(service, instance))}${path}`;
  }

  private firstRunning(service: ServiceName): number {
    for (let instance = 0; instance < this.instances; instance++) {
      const child = this.processes.get(key(service, instance));
      if (child && child.exitCode === null && child.signalCode === null) return instance;
    }
    return 0;
  }

  topic(name: string): string {
    return `${this.prefix}${name}`;
  }

  /** Starts a service and, unless told not to, waits until /health says its consumer runs. `env`: on top of the system's. */
  async startService(
    name: ServiceName,
    { waitHealthy = true, instance = 0, env = {} }: { waitHealthy?: boolean; instance?: number; env?: Record<string, string> } = {},
  ): Promise<void> {
    const log = createWriteStream(this.logFile(name, instance), { flags: 'a' });
    const child = spawn(process.execPath, [join(ROOT, 'dist', 'apps', name, 'src', 'main.js')], {
      cwd: ROOT,
      env: {
        ...process.env,
        ...this.options.env,
        ...env,
        PORT: String(this.ports.get(key(name, instance))),
        DATA_DIR: this.dataDir,
        DATABASE_URL: this.databaseUrls.get(name) ?? '',
        KAFKA_BROKERS: this.brokers,
        KAFKA_TOPIC_PREFIX: this.prefix,
        NO_COLOR: '1',
        NODE_OPTIONS: '',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.pipe(log);
    child.stderr.pipe(log);
    this.processes.set(key(name, instance), child);
    if (waitHealthy) await this.waitHealthy(name, child, instance);
  }

  async waitForHealth(name: ServiceName, instance = 0): Promise<void> {
    await this.waitHealthy(name, this.processes.get(key(name, instance))!, instance);
  }

  /** Stops a service: SIGTERM is the orderly shutdown, SIGKILL a crash. Resolves to its exit code. */
  async stopService(name: ServiceName, signal: NodeJS.Signals = 'SIGTERM', instance = 0): Promise<number | null> {
    const child = this.processes.get(key(name, instance));
    if (!child || child.exitCode !== null || child.signalCode !== null) return child?.exitCode ?? null;
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
    child.kill(signal);
    const code = await exited;
    this.processes.delete(key(name, instance));
    return code;
  }

  async restartService(name: ServiceName, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    await this.stopService(name, signal);
    await this.startService(name);
  }

  async stop(): Promise<void> {
    await Promise.all(
      SERVICE_NAMES.flatMap((name) => Array.from({ length: this.instances }, (_, instance) => this.stopService(name, 'SIGTERM', instance))),
    );
    await this.deleteTopics();
    // KEEP_TEST_DATABASES=1 keeps them, to look into a failure.
    if (this.databaseUrls.size > 0 && process.env.KEEP_TEST_DATABASES !== '1')
      // One after another: a pg client runs one query at a time (queued calls are deprecated in pg 8, gone in 9).
      await this.admin(async (client) => {
        for (const url of this.databaseUrls.values()) {
          await client.query(`DROP DATABASE IF EXISTS ${new URL(url).pathname.slice(1)} WITH (FORCE)`);
        }
      });
  }

  /**
   * Deletes this system's topics and consumer groups. A broker shared by many runs otherwise
   * keeps every run's partitions, thousands after a few test runs, and the more it holds the
   * longer it takes to come back from a crash (fault scenario 2 kills it). KEEP_TEST_TOPICS=1
   * keeps them, to look into a failure.
   */
  private async deleteTopics(): Promise<void> {
    if (process.env.KEEP_TEST_TOPICS === '1') return;
    // Connected as the services are (a system on a TLS/SASL broker passes its KAFKA_SSL_*/KAFKA_SASL_* in `env`).
    const env = { ...process.env, ...this.options.env };
    const connection = kafkaConnection({
      KAFKA_BROKERS: this.brokers,
      KAFKA_SSL_CA: env.KAFKA_SSL_CA,
      KAFKA_SASL_MECHANISM: env.KAFKA_SASL_MECHANISM as KafkaConnectionSettings['KAFKA_SASL_MECHANISM'],
      KAFKA_SASL_USERNAME: env.KAFKA_SASL_USERNAME,
      KAFKA_SASL_PASSWORD: env.KAFKA_SASL_PASSWORD,
    });
    const kafka = new Kafka({
      clientId: 'e2e-cleanup',
      ...kafkaClientConfig(connection),
      logLevel: logLevel.NOTHING,
      retry: { retries: 3 },
    });
    await kafkaScript
      .deletePrefixed(kafka, this.prefix)
      .catch((error: Error) => console.warn(`kept the topics of ${this.prefix}: ${error.message}`));
  }

  /** One PostgreSQL database per service, named after this run's prefix; `stop` drops them. */
  private async createDatabases(): Promise<void> {
    const server = process.env.TEST_POSTGRES_URL;
    if (!server) throw new Error('the postgres backend needs TEST_POSTGRES_URL (npm test sets it)');
    await this.admin(async (client) => {
      for (const name of SERVICE_NAMES) {
        const database = `${this.prefix}${name}`.replace(/[^a-z0-9]/g, '_');
        await client.query(`CREATE DATABASE ${database}`);
        this.databaseUrls.set(name, `${server}/${database}`);
      }
    });
  }

  private async admin(work: (client: pg.Client) => Promise<unknown>): Promise<void> {
    const client = new pg.Client({ connectionString: `${process.env.TEST_POSTGRES_URL}/postgres` });
    await client.connect();
    try {
      await work(client);
    } finally {
      await client.end();
    }
  }

  /**
   * Locks a table of a service's database from outside until the returned function is
   * called: the service's writes fail meanwhile (SQLite: the whole file, SQLITE_BUSY;
   * PostgreSQL: the table, after the service's lock_timeout).
   */
  async lockTable(name: ServiceName, table: string): Promise<() => Promise<void>> {
    if (this.backend === 'sqlite') {
      const lock = new SQLite(this.databaseFile(name));
      lock.exec('BEGIN IMMEDIATE');
      return () => {
        lock.exec('COMMIT');
        lock.close();
        return Promise.resolve();
      };
    }
    const client = new pg.Client({ connectionString: this.databaseUrls.get(name) });
    await client.connect();
    await client.query('BEGIN');
    await client.query(`LOCK TABLE ${table} IN ACCESS EXCLUSIVE MODE`);
    return async () => {
      await client.query('COMMIT');
      await client.end();
    };
  }

  databaseUrl(name: ServiceName): string | undefined {
    return this.databaseUrls.get(name);
  }

  databaseFile(name: ServiceName): string {
    return join(this.dataDir, `${name}.db`);
  }

  logFile(name: ServiceName, instance = 0): string {
    return join(this.dataDir, instance === 0 ? `${name}.log` : `${name}-${instance}.log`);
  }

  log(name: ServiceName, instance = 0): string {
    return readFileSync(this.logFile(name, instance), 'utf8');
  }

  private async waitHealthy(name: ServiceName, child: ChildProcess, instance = 0): Promise<void> {
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) {
        throw new Error(`${name} exited with ${child.exitCode}; log: ${this.logFile(name, instance)}\n${this.log(name, instance)}`);
      }
      // The body names the service: a port answered by another process does not count.
      const healthy = await fetch(this.url(name, '/health', instance)).then(
        async (response) =>
          response.ok && ((await response.json()) as { info?: { kafka?: { service?: string } } }).info?.kafka?.service === name,
        () => false,
      );
      if (healthy && child.exitCode === null) return;
      await sleep(100);
    }
    throw new Error(`${name} did not become healthy in ${START_TIMEOUT_MS} ms; log: ${this.logFile(name)}`);
  }
}

function key(service: ServiceName, instance: number): string {
  return `${service}#${instance}`;
}

/**
 * Ports for the services, below the kernel's ephemeral range (32768 and up), so that no
 * outgoing connection (a Kafka or PostgreSQL client) can take one between its choice and
 * the service's listen; never the same one twice in a test file, and checked free. Each
 * Jest worker takes its own quarter of 20000-29999, so that two test files running at
 * once cannot both find one port free before either listens on it.
 */
const WORKER_SLICE = (Number(process.env.JEST_WORKER_ID ?? 1) - 1) % 4;
const PORT_RANGE = { from: 20_000 + WORKER_SLICE * 2_500, size: 2_500 };
let nextPort = PORT_RANGE.from + Math.floor(Math.random() * PORT_RANGE.size);

export async function freePort(): Promise<number> {
  for (let tries = 0; tries < PORT_RANGE.size; tries++) {
    const port = nextPort;
    nextPort = nextPort + 1 < PORT_RANGE.from + PORT_RANGE.size ? nextPort + 1 : PORT_RANGE.from;
    if (await canListen(port)) return port;
  }
  throw new Error(`no free port in ${PORT_RANGE.from}-${PORT_RANGE.from + PORT_RANGE.size - 1}`);
}

function canListen(port: number): Promise<boolean> {
  return new Promise((done) => {
    const server = createServer();
    server.once('error', () => done(false));
    server.listen(port, () => server.close(() => done(true)));
  });
}

export { sleep };
