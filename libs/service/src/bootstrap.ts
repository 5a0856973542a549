import 'reflect-metadata';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { Logger, ValidationPipe, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Topics, type EventType } from '#contracts';
import { openDatabase, redact, type Database } from '#database';
import {
  ensureTopics,
  type BatchHandler,
  EventConsumer,
  GroupAdmin,
  Inbox,
  inboxKeepMs,
  InboxPruner,
  kafkaServer,
  KafkaRuntime,
  OffsetCommitter,
  OutboxRelay,
  OutboxStore,
  TOPIC_PARTITIONS,
  topicRetentionsMs,
  TRANSACTIONAL_MESSAGING_TABLES,
} from '#messaging';
import { kafkaConnection, loadConfig, type ServiceConfig } from './config.js';
import { reactsTo, type ServiceDefinition } from './service-definition.js';
import { Drain } from './drain.js';
import { rejectHostileJson } from './json-guard.js';
import { httpMetrics } from './metrics/http-metrics.js';
import { serveOpenApi } from './openapi.js';
import { setUpLogging } from './logging.js';
import { stopTracing } from './tracing/start-tracing.js';
import { registerServiceMetrics } from './metrics/service-metrics.js';
import { ServiceModule } from './service.module.js';

/** Largest accepted HTTP body; a larger one gets 413. */
export const BODY_LIMIT = '64kb';
const SHUTDOWN_TIMEOUT_MS = 10_000;
/** With several instances on one database: how often each relay looks for rows no instance has published. */
const SHARED_OUTBOX_POLL_MS = 1_000;
/**
 * A participant commits its consumer's offsets this long after the batch that resolved them, not
 * after every batch (offset-committer.ts): a crash or a rebalance redelivers at most this much,
 * which the inbox skips. Kafka Streams commits as often under exactly-once.
 */
const OFFSET_COMMIT_INTERVAL_MS = 100;

/**
 * Starts one service from its definition: validated configuration, topics, HTTP
 * (Express) and the Kafka consumer in one Nest app, the outbox relay on the
 * consumer's producer, and an orderly shutdown on SIGINT/SIGTERM.
 */
export async function runService<T extends EventType>(definition: ServiceDefinition<ServiceConfig, T>): Promise<INestApplication> {
  // First: every line from here on, a configuration error included, goes through pino (LOG_FORMAT, LOG_LEVEL).
  const logging = setUpLogging(definition.name);
  const logger = new Logger(definition.name);
  // Signals are handled from the first moment: before the app exists, there is nothing to drain.
  const shutdown = new Shutdown(logger);
  // `on`, not `once`: Ctrl-C under `npm start` delivers SIGINT twice (terminal + concurrently); the second must not kill us mid-shutdown.
  process.on('SIGINT', () => void shutdown.stop('SIGINT', 0));
  process.on('SIGTERM', () => void shutdown.stop('SIGTERM', 0));

  const config = loadConfigOrExit(definition, logger);
  const topics = new Topics(config.KAFKA_TOPIC_PREFIX);
  const groupId = topics.consumerGroup(definition.name);
  const transactional = definition.delivery === 'outbox+inbox';
  await ensureTopicsOrExit(config, topics, logger);
  const database = await openDatabaseOrExit(definition, config, logger);

  // forceCloseConnections: an open server-sent-events stream must not hold up shutdown.
  const module = ServiceModule.assemble(definition, config, topics, database, logging);
  const app = await NestFactory.create<NestExpressApplication>(module, {
    bodyParser: false,
    forceCloseConnections: true,
    logger: logging.logger,
  });
  app.use(httpMetrics);
  app.use(app.get(Drain).middleware);
  app.useBodyParser('json', { limit: BODY_LIMIT });
  app.use(rejectHostileJson);
  app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }));
  serveOpenApi(app, definition.name, definition.summary);
  // The topics of the types the service reacts to (one type each); every fetched batch goes down the consumer path.
  const consumer = app.get(EventConsumer);
  const inputs = reactsTo(definition, config.SAGA_MODE).map((type) => topics.of(type));
  // Analytics commits its offsets itself, with the state they cover (analytics.service.ts).
  const offsets = transactional ? new OffsetCommitter(OFFSET_COMMIT_INTERVAL_MS) : null;
  const consumeBatch: BatchHandler = (batch) => consumer.consumeBatch(batch);
  const server = kafkaServer(
    {
      connection: kafkaConnection(config),
      clientId: definition.name,
      groupId,
      maxWaitMs: config.KAFKA_MAX_WAIT_MS,
      minBytes: config.KAFKA_MIN_BYTES,
      // A participant handles several partitions at once, each partition's messages in order. Two
      // events of one order on two topics may then be handled at the same moment; their transactions
      // keep them apart (SQLite runs them one after the other, PostgreSQL re-runs the loser of a
      // conflict). Measured in docs/performance.md. Analytics reads one partition at a time.
      partitionsConsumedConcurrently: transactional ? TOPIC_PARTITIONS : 1,
    },
    { topics: inputs, handler: offsets ? offsets.around(consumeBatch) : consumeBatch },
  );
  const microservice = app.connectMicroservice({ strategy: server });

  const kafka = app.get(KafkaRuntime);
  if (offsets) {
    kafka.onRebalancing(() => void offsets.flush());
    kafka.beforeStopping(() => offsets.flush());
  }
  const relay = transactional ? app.get(OutboxRelay) : null;
  registerServiceMetrics(definition.name, kafka, app.get(GroupAdmin), transactional ? app.get(OutboxStore) : null);
  shutdown.attach(app, relay);
  kafka.watch(microservice, (error) => {
    logger.error(`Kafka consumer stopped for good (${error.message}); exiting so a supervisor can restart it`);
    void shutdown.stop('consumer crash', 1);
  });
  // Lifecycle hooks (seeding, restoring state) run before the first message is consumed,
  // and HTTP answers from then on: /health says 503 until the consumer has joined its group.
  await app.init();
  await app.listen(config.PORT);
  await app.startAllMicroservices();
  // The server's producer is connected now: publish what the outbox holds, and every commit from here on.
  relay?.start((batch) => kafka.send(batch), { pollMs: database.dialect === 'postgres' ? SHARED_OUTBOX_POLL_MS : 0 });
  logger.log(`listening on :${config.PORT}, consuming as group ${groupId}, data in ${describeStorage(definition, config)}`);
  if (transactional) {
    new InboxPruner(app.get(Inbox)).start(await inboxRetentionOrKeepAll(config, [...inputs, topics.deadLetter], logger));
  }
  return app;
}

/** How long the inbox keeps event ids (see inboxKeepMs); when the broker cannot say, everything (null). */
async function inboxRetentionOrKeepAll(config: ServiceConfig, topics: string[], logger: Logger): Promise<number | null> {
  try {
    return inboxKeepMs(await topicRetentionsMs(kafkaConnection(config), topics));
  } catch (error) {
    logger.warn(`reading the topics' retention failed (${(error as Error).message}): the inbox is not pruned until the next start`);
    return null;
  }
}

function loadConfigOrExit<T extends EventType>(definition: ServiceDefinition<ServiceConfig, T>, logger: Logger): ServiceConfig {
  try {
    return loadConfig(definition.config, process.env, { PORT: definition.port });
  } catch (error) {
    logger.error((error as Error).message);
    process.exit(1);
  }
}

async function openDatabaseOrExit<T extends EventType>(
  definition: ServiceDefinition<ServiceConfig, T>,
  config: ServiceConfig,
  logger: Logger,
): Promise<Database> {
  try {
    return await openDatabase({
      url: config.DATABASE_URL,
      sqliteFile: sqliteFile(definition, config),
      migrations: definition.migrations,
      plumbing: definition.delivery === 'outbox+inbox' ? TRANSACTIONAL_MESSAGING_TABLES : [],
    });
  } catch (error) {
    logger.error(`Cannot open the database: ${(error as Error).message}`);
    process.exit(1);
  }
}

function sqliteFile<T extends EventType>(definition: ServiceDefinition<ServiceConfig, T>, config: ServiceConfig): string {
  return join(config.DATA_DIR, `${definition.name}.db`);
}

function describeStorage<T extends EventType>(definition: ServiceDefinition<ServiceConfig, T>, config: ServiceConfig): string {
  return config.DATABASE_URL ? `PostgreSQL ${redact(config.DATABASE_URL)}` : sqliteFile(definition, config);
}

async function ensureTopicsOrExit(config: ServiceConfig, topics: Topics, logger: Logger): Promise<void> {
  try {
    await ensureTopics(kafkaConnection(config), topics.all());
  } catch (error) {
    logger.error(
      `Cannot reach Kafka at ${config.KAFKA_BROKERS} (${(error as Error).message}). ` +
        'Start a broker with `npm run kafka:start` or set KAFKA_BROKERS.',
    );
    process.exit(1);
  }
}

/**
 * Shutdown in the order that loses nothing and keeps no one waiting: stop taking
 * HTTP requests (503) and background work, and let those in progress finish, so a
 * committed 201 is delivered; stop consuming (the message in hand finishes); publish
 * what the outbox holds, retrying until the deadline; then close Kafka, HTTP and the
 * database. A second signal changes nothing; past SHUTDOWN_TIMEOUT_MS the process exits anyway.
 */
class Shutdown {
  private app: INestApplication | null = null;
  private relay: OutboxRelay | null = null;
  private stopping = false;

  constructor(private readonly logger: Logger) {}

  attach(app: INestApplication, relay: OutboxRelay | null): void {
    this.app = app;
    this.relay = relay;
  }

  async stop(reason: string, code: number): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    const app = this.app;
    if (!app) process.exit(code); // still starting: nothing taken on yet
    this.logger.log(`${reason}: draining, then shutting down`);
    setTimeout(() => process.exit(code || 1), SHUTDOWN_TIMEOUT_MS).unref();
    // Leave a second for closing connections and the database.
    const deadline = Date.now() + SHUTDOWN_TIMEOUT_MS - 1_000;
    try {
      const drain = app.get(Drain);
      await drain.begin(deadline);
      await app.get(KafkaRuntime).stopConsuming();
      if (this.relay && !(await this.relay.flush(deadline))) {
        this.logger.warn('the outbox could not be published before the shutdown deadline: the next start publishes it');
      }
    } finally {
      this.relay?.stop();
      // Closes HTTP once the drain saw no request for a while (Drain.beforeApplicationShutdown), then Kafka and the database.
      await app.close();
      // An unreachable collector must not turn an orderly exit into the guard's.
      const exported = stopTracing().catch((error: Error) => this.logger.warn(`exporting the last spans failed: ${error.message}`));
      await Promise.race([exported, sleep(Math.max(0, deadline + 500 - Date.now()))]);
      process.exit(code);
    }
  }
}
