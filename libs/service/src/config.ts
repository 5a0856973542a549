import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { plainToInstance, Transform } from 'class-transformer';
import {
  IsIn,
  IsInt,
  IsNotEmpty,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  ValidateBy,
  ValidateIf,
  validateSync,
  type ValidationOptions,
} from 'class-validator';
import { SAGA_MODES, type SagaMode } from '#contracts';
import { SASL_MECHANISMS, type KafkaConnection, type SaslMechanism } from '#messaging';
import { LOG_FORMATS, LOG_LEVELS, type LogFormat } from './logging.js';

/** Settings every service reads from its environment. Subclasses add their own. */
export abstract class ServiceConfig {
  /** HTTP port; its default is the service definition's `port` (order 3002, payment 3003, inventory 3004, analytics 3005). */
  @IsInt()
  @Min(1)
  @Max(65535)
  PORT: number;

  @IsString()
  @Matches(/^[^,\s]+:\d+(,[^,\s]+:\d+)*$/, { message: 'KAFKA_BROKERS must be host:port[,host:port...]' })
  KAFKA_BROKERS = '127.0.0.1:9092';

  /** Where the SQLite files live (when DATABASE_URL is not set). */
  @IsString()
  @IsNotEmpty()
  DATA_DIR = '.data';

  /** The service's own PostgreSQL database; SQLite in DATA_DIR when unset. */
  @IsOptional()
  @Matches(/^postgres(ql)?:\/\/\S+$/, { message: 'DATABASE_URL must be a postgres:// URL' })
  DATABASE_URL?: string;

  @IsString()
  @Matches(/^[A-Za-z0-9._-]*$/, { message: 'KAFKA_TOPIC_PREFIX may hold only letters, digits, ".", "_" and "-"' })
  KAFKA_TOPIC_PREFIX = '';

  /** Longest time the broker holds an empty fetch; bounds idle polling, not latency. */
  @IsInt()
  @Min(1)
  @Max(10_000)
  KAFKA_MAX_WAIT_MS: number = 25;

  /** Bytes a fetch waits for (at most KAFKA_MAX_WAIT_MS) before the broker answers it: 1 answers as soon as anything arrived. */
  @IsInt()
  @Min(1)
  @Max(10_485_760)
  KAFKA_MIN_BYTES: number = 1;

  /** PEM file of the CA that signed the brokers' certificates; when set, every Kafka client connects with TLS. */
  @IsOptional()
  @IsPemCertificateFile({ message: 'KAFKA_SSL_CA must be the path of a readable PEM file holding a CERTIFICATE' })
  KAFKA_SSL_CA?: string;

  /** SASL authentication, with KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD; none when unset. */
  @ValidateIf((config: ServiceConfig) => [config.KAFKA_SASL_MECHANISM, config.KAFKA_SASL_USERNAME, config.KAFKA_SASL_PASSWORD].some(isSet))
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.toLowerCase() : value))
  @IsIn(SASL_MECHANISMS, {
    message: `KAFKA_SASL_MECHANISM must be one of ${SASL_MECHANISMS.join(', ')} (it is required with KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD)`,
  })
  KAFKA_SASL_MECHANISM?: SaslMechanism;

  @ValidateIf((config: ServiceConfig) => isSet(config.KAFKA_SASL_MECHANISM))
  @IsString({ message: 'KAFKA_SASL_USERNAME is required with KAFKA_SASL_MECHANISM' })
  KAFKA_SASL_USERNAME?: string;

  @ValidateIf((config: ServiceConfig) => isSet(config.KAFKA_SASL_MECHANISM))
  @IsString({ message: 'KAFKA_SASL_PASSWORD is required with KAFKA_SASL_MECHANISM' })
  KAFKA_SASL_PASSWORD?: string;

  /** `pretty` (default): readable lines for a person; `json`: one JSON object per line, for a log pipeline. */
  @IsIn(LOG_FORMATS, { message: `LOG_FORMAT must be one of ${LOG_FORMATS.join(', ')}` })
  LOG_FORMAT: LogFormat = 'pretty';

  @IsIn(LOG_LEVELS, { message: `LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}` })
  LOG_LEVEL: (typeof LOG_LEVELS)[number] = 'info';

  /**
   * How the saga is coordinated: `choreographed` (each participant reacts to the others' events)
   * or `orchestrated` (order-service sends commands and reacts to replies). Every service of one
   * system must agree: it decides which topics each one reads.
   */
  @IsIn(SAGA_MODES, { message: `SAGA_MODE must be one of ${SAGA_MODES.join(', ')}` })
  SAGA_MODE: SagaMode = 'choreographed';
}

const isSet = (value: unknown) => value !== undefined;

/** A file that can be read and holds at least one PEM certificate. */
function IsPemCertificateFile(options: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    { name: 'isPemCertificateFile', validator: { validate: (path) => typeof path === 'string' && readPem(path) !== null } },
    options,
  );
}

function readPem(path: string): string | null {
  try {
    const text = readFileSync(path, 'utf8');
    return text.includes('-----BEGIN CERTIFICATE-----') ? text : null;
  } catch {
    return null;
  }
}

/** The settings a Kafka connection is made of: a service's configuration, or a test's own. */
export type KafkaConnectionSettings = Pick<
  ServiceConfig,
  'KAFKA_BROKERS' | 'KAFKA_SSL_CA' | 'KAFKA_SASL_MECHANISM' | 'KAFKA_SASL_USERNAME' | 'KAFKA_SASL_PASSWORD'
>;

const connections = new WeakMap<KafkaConnectionSettings, KafkaConnection>();

/**
 * How the service's Kafka clients connect, for every one of them (server, topic
 * setup, group admin): built once per configuration, reading the CA file then.
 */
export function kafkaConnection(config: KafkaConnectionSettings): KafkaConnection {
  let connection = connections.get(config);
  if (!connection) {
    const { KAFKA_SSL_CA: ca, KAFKA_SASL_MECHANISM: mechanism, KAFKA_SASL_USERNAME: username, KAFKA_SASL_PASSWORD: password } = config;
    connection = {
      brokers: config.KAFKA_BROKERS,
      ...(ca && { ssl: { ca: readFileSync(ca, 'utf8') } }),
      ...(mechanism && username !== undefined && password !== undefined && { sasl: { mechanism, username, password } }),
    };
    connections.set(config, connection);
  }
  return connection;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/**
 * Reads and validates a service's configuration from the environment at start-up,
 * failing with one message that names every bad variable and its value. `defaults`
 * come before the class's own defaults (the service definition's port).
 */
export function loadConfig<T extends ServiceConfig>(
  schema: new () => T,
  env: NodeJS.ProcessEnv = process.env,
  defaults: Partial<Record<keyof T, unknown>> = {},
): T {
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const config = plainToInstance(schema, { ...defaults, ...present }, { enableImplicitConversion: true, exposeDefaultValues: true });
  const errors = validateSync(config, { whitelist: true });
  if (errors.length > 0) {
    const lines = errors.flatMap((error) =>
      Object.values(error.constraints ?? {}).map((message) => `  - ${message} (got ${shown(error.property, env[error.property])})`),
    );
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  return config;
}

/** A variable's value for an error message; never a secret's. */
function shown(variable: string, value: string | undefined): string {
  return /PASSWORD|SECRET|TOKEN/.test(variable) && value ? '"***"' : JSON.stringify(value);
}
