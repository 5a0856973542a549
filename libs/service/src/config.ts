import 'reflect-metadata';
import { plainToInstance } from 'class-transformer';
import { IsInt, IsNotEmpty, IsOptional, IsString, Matches, Max, Min, validateSync } from 'class-validator';

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
      Object.values(error.constraints ?? {}).map((message) => `  - ${message} (got ${JSON.stringify(env[error.property])})`),
    );
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  return config;
}
