import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import {
  CompiledQuery,
  Kysely,
  PostgresDialect,
  sql,
  SqliteDialect,
  SqliteDriver,
  type DatabaseConnection,
  type Driver,
  type SqliteDatabase,
  type SqliteDialectConfig,
} from 'kysely';
import pg from 'pg';
import { Database, type Dialect } from './database.js';
import { startCheckpointer } from './sqlite-checkpointer.js';

/** A schema in both dialects: entry i of each list is schema version i + 1; versions only move forward. */
export interface Migrations {
  readonly sqlite: readonly string[];
  readonly postgres: readonly string[];
}

/** Tables of the plumbing (outbox, inbox), created if missing, in both dialects. */
export interface PlumbingTable {
  readonly sqlite: string;
  readonly postgres: string;
  /** Columns added since the table first shipped: added at start to a table made by an older version. */
  readonly addedColumns?: ReadonlyArray<{ readonly table: string; readonly column: string; readonly type: string }>;
}

export interface DatabaseOptions {
  /** PostgreSQL when set (the service's own database, e.g. postgres://user@host:5432/order_service); SQLite otherwise. */
  readonly url?: string;
  /** The SQLite file (or ':memory:'), used when `url` is not set. */
  readonly sqliteFile: string;
  readonly migrations: Migrations;
  readonly plumbing?: readonly PlumbingTable[];
  /** Most connections a PostgreSQL pool opens. */
  readonly poolSize?: number;
  /**
   * Where a SQLite file's WAL checkpoints run: on a worker thread (the default, sqlite-checkpointer.ts)
   * or, as SQLite does by itself, at the end of the commit that filled the WAL (`npm run bench:sqlite` compares them).
   */
  readonly checkpoints?: 'worker' | 'in-commit';
}

/** The database cannot be used at all (unreachable, missing, refused): a message for a person, not a stack trace. */
export class DatabaseUnavailableError extends Error {
  override readonly name = 'DatabaseUnavailableError';
}

/**
 * Opens a service's database and brings its schema up to date: PostgreSQL when a
 * URL is given, else the SQLite file (created if needed).
 */
export async function openDatabase<DB>(options: DatabaseOptions): Promise<Database<DB>> {
  const dialect: Dialect = options.url ? 'postgres' : 'sqlite';
  const { kysely, closed } = options.url
    ? { kysely: await connectPostgres<DB>(options.url, options.poolSize ?? 10), closed: undefined }
    : openSqlite<DB>(options.sqliteFile, options.checkpoints ?? 'worker');
  const database = new Database<DB>(dialect, kysely, closed);
  try {
    await migrate(database, kysely, options);
  } catch (error) {
    await database.close();
    throw error;
  }
  return database;
}

/**
 * WAL + synchronous=NORMAL: a committed transaction survives a process crash (the
 * failure this project tests); only an OS crash could lose the last commits. The WAL's
 * checkpoints run on a worker thread (sqlite-checkpointer.ts), not in a commit.
 */
function openSqlite<DB>(file: string, checkpoints: 'worker' | 'in-commit'): { kysely: Kysely<DB>; closed: () => Promise<void> } {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const db = new SQLite(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  // Short: the wait blocks the event loop, and only this service writes here. Longer locks are retried by the consumer.
  db.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
  db.pragma('foreign_keys = ON');
  const checkpointer = file !== ':memory:' && checkpoints === 'worker' ? startCheckpointer(db, file, SQLITE_BUSY_TIMEOUT_MS) : null;
  let checkpointerEnded: Promise<void> = Promise.resolve();
  const close = () => {
    if (checkpointer) checkpointerEnded = checkpointer.stop();
    db.close();
  };
  return {
    kysely: new Kysely<DB>({ dialect: new ImmediateSqliteDialect({ database: keepingStatements(db, close) }) }),
    // Kysely calls close() without waiting for anything it returns: Database.close waits for the worker here.
    closed: () => checkpointerEnded,
  };
}

/**
 * SQLite with transactions that take the write lock when they begin (BEGIN IMMEDIATE, waiting
 * for it up to the busy timeout), not at their first write. A transaction that read first would
 * otherwise ask for the lock mid-way, and SQLite answers that with SQLITE_BUSY at once, without
 * waiting: the checkpointer's connection holds the lock for a moment when it restarts the WAL.
 * This process is the database's only writer, so taking the lock early costs nothing.
 */
class ImmediateSqliteDialect extends SqliteDialect {
  constructor(private readonly settings: SqliteDialectConfig) {
    super(settings);
  }

  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.settings);
  }
}

class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

const SQLITE_BUSY_TIMEOUT_MS = 1_000;

/** Distinct SQL texts kept prepared: the queries are a fixed set, but `IN (?, ?, …)` lists vary in length. */
const STATEMENT_CACHE_SIZE = 256;

/**
 * better-sqlite3 for Kysely, with its prepared statements kept: Kysely prepares every
 * query anew, about 4 % of each service's CPU under load (docs/performance.md). A
 * statement is reusable once a call on it returned; Kysely's SQLite connection runs one
 * query at a time, and nothing here streams (a statement being iterated could not be reused).
 */
function keepingStatements(db: SQLite.Database, close: () => void): SqliteDatabase {
  const statements = new Map<string, SQLite.Statement>();
  return {
    close,
    prepare(sql) {
      let statement = statements.get(sql);
      if (statement) {
        // Least recently used goes first: a hit moves to the end of the Map's order.
        statements.delete(sql);
        statements.set(sql, statement);
        return statement;
      }
      statement = db.prepare(sql);
      if (statements.size >= STATEMENT_CACHE_SIZE) statements.delete(statements.keys().next().value!);
      statements.set(sql, statement);
      return statement;
    },
  };
}

/** BIGINT (counts, identities) as a JS number: every value here stays far below 2^53. */
const INT8_OID = 20;
const LOCK_TIMEOUT_MS = 1_000;
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary'): unknown =>
    oid === INT8_OID ? Number : (pg.types.getTypeParser(oid, format) as unknown)) as typeof pg.types.getTypeParser,
};

async function connectPostgres<DB>(url: string, poolSize: number): Promise<Kysely<DB>> {
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    types,
    connectionTimeoutMillis: 5_000,
    // A server that vanished (a host crash, a partition) is noticed in seconds, and its advisory locks with it.
    keepAlive: true,
    keepAliveInitialDelayMillis: 5_000,
    // A lock held elsewhere for long is a failure to retry (as SQLite's busy_timeout), not a wait that stalls the consumer.
    options: `-c lock_timeout=${LOCK_TIMEOUT_MS}`,
  });
  // A connection that the server drops must not crash the process, idle (the pool's event) or checked
  // out between two queries (its own event, e.g. the one holding an advisory lock): the next query reconnects.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  try {
    const client = await pool.connect();
    client.release();
  } catch (error) {
    await pool.end();
    throw new DatabaseUnavailableError(`cannot use the PostgreSQL database at ${redact(url)}: ${explain(error)}`);
  }
  return new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
}

function explain(error: unknown): string {
  const { code, message } = error as { code?: string; message?: string };
  if (code === '3D000') return `${message} (create it first, e.g. with createdb)`;
  if (code === 'ECONNREFUSED') return 'connection refused (is the server running, and on that port?)';
  return message ?? String(error);
}

/** The URL without its password, for logs. */
export function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(an invalid URL)';
  }
}

async function migrate<DB>(database: Database<DB>, kysely: Kysely<DB>, options: DatabaseOptions): Promise<void> {
  const dialect = database.dialect;
  const steps = options.migrations[dialect];
  await kysely.transaction().execute(async (tx) => {
    if (dialect === 'postgres') {
      // Instances starting together migrate one after the other, however long that takes.
      await sql`SET LOCAL lock_timeout = 0`.execute(tx);
      await sql`SELECT pg_advisory_xact_lock(hashtext('schema-migration'))`.execute(tx);
      await sql`CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)`.execute(tx);
    }
    for (const table of options.plumbing ?? []) {
      await sql.raw(table[dialect]).execute(tx);
      for (const { table: name, column, type } of table.addedColumns ?? [])
        if (!(await hasColumn(tx, dialect, name, column))) await sql.raw(`ALTER TABLE ${name} ADD COLUMN ${column} ${type}`).execute(tx);
    }
    const current = await schemaVersion(tx, dialect);
    for (const [index, step] of steps.slice(current).entries()) {
      for (const statement of splitStatements(step)) await sql.raw(statement).execute(tx);
      await setSchemaVersion(tx, dialect, current + index + 1);
    }
  });
}

async function hasColumn<DB>(tx: Kysely<DB>, dialect: Dialect, table: string, column: string): Promise<boolean> {
  const { rows } =
    dialect === 'sqlite'
      ? await sql<{ name: string }>`SELECT name FROM pragma_table_info(${table}) WHERE name = ${column}`.execute(tx)
      : await sql<{ name: string }>`SELECT column_name AS name FROM information_schema.columns
          WHERE table_schema = current_schema() AND table_name = ${table} AND column_name = ${column}`.execute(tx);
  return rows.length > 0;
}

async function schemaVersion<DB>(tx: Kysely<DB>, dialect: Dialect): Promise<number> {
  if (dialect === 'sqlite') {
    const { rows } = await sql<{ user_version: number }>`PRAGMA user_version`.execute(tx);
    return rows[0]?.user_version ?? 0;
  }
  const { rows } = await sql<{ version: number }>`SELECT version FROM schema_version`.execute(tx);
  return rows[0]?.version ?? 0;
}

async function setSchemaVersion<DB>(tx: Kysely<DB>, dialect: Dialect, version: number): Promise<void> {
  if (dialect === 'sqlite') {
    await sql.raw(`PRAGMA user_version = ${version}`).execute(tx);
    return;
  }
  await sql`DELETE FROM schema_version`.execute(tx);
  await sql`INSERT INTO schema_version (version) VALUES (${version})`.execute(tx);
}

/** A migration may hold several statements; each driver runs one statement per query. */
function splitStatements(script: string): string[] {
  return script
    .split(/;\s*(?:\n|$)/)
    .map((statement) => statement.trim())
    .filter(Boolean);
}
