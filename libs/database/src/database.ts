import { AsyncLocalStorage } from 'node:async_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql, type Kysely, type Transaction } from 'kysely';
import { isRetryableConflict } from './database-errors.js';

export type Dialect = 'sqlite' | 'postgres';

/** How often a transaction that lost a conflict to another instance is run again. */
const CONFLICT_ATTEMPTS = 10;
const CONFLICT_BACKOFF_MS = 5;
const CONFLICT_BACKOFF_MAX_MS = 200;

/**
 * A service's own database, SQLite or PostgreSQL, behind one Kysely API.
 *
 * `transaction(work)` runs `work` in one transaction, and every query made through
 * `query` while it runs (in the same async context) takes part in it, so that
 * repositories need no transaction argument. On PostgreSQL the transaction is
 * SERIALIZABLE: two instances working on the same rows never both win; the loser
 * is rolled back and run again from the start (its reads then see the winner's
 * writes). On SQLite there is one writer, this process, and transactions queue.
 */
export class Database<DB = unknown> {
  private readonly current = new AsyncLocalStorage<Transaction<DB>>();

  constructor(
    readonly dialect: Dialect,
    private readonly kysely: Kysely<DB>,
    /** What else closing waits for once Kysely is done (SQLite's checkpointer thread). */
    private readonly closed: () => Promise<void> = async () => {},
  ) {}

  /** The same database, typed with the tables the caller knows (each repository knows its own). */
  withTables<Tables>(): Database<Tables> {
    return this as unknown as Database<Tables>;
  }

  /** The running transaction if there is one, else the database itself (autocommit). */
  get query(): Kysely<DB> {
    return this.current.getStore() ?? this.kysely;
  }

  /**
   * Runs `work` in one transaction (joining the one in progress, if any). `work` may be
   * run more than once, so it must only read and write the database. Nothing it starts
   * may outlive it (a timer, a promise left running): that would still see this
   * transaction as its context after it ended.
   */
  async transaction<R>(work: () => Promise<R>): Promise<R> {
    if (this.current.getStore()) return work();
    for (let attempt = 1; ; attempt++) {
      try {
        const begin = this.kysely.transaction();
        const transaction = this.dialect === 'postgres' ? begin.setIsolationLevel('serializable') : begin;
        return await transaction.execute((tx) => this.current.run(tx, work));
      } catch (error) {
        if (attempt >= CONFLICT_ATTEMPTS || !isRetryableConflict(error)) throw error;
        await sleep(Math.min(CONFLICT_BACKOFF_MAX_MS, CONFLICT_BACKOFF_MS * 2 ** attempt) * Math.random());
      }
    }
  }

  /**
   * Runs `work` unless another instance is running work under the same name
   * (a PostgreSQL advisory lock, held by this session until `work` ends or the
   * process dies); resolves to undefined if it was skipped. On SQLite only this
   * process can run it, so it always runs.
   */
  async exclusively<R>(name: string, work: () => Promise<R>): Promise<R | undefined> {
    if (this.dialect === 'sqlite') return work();
    return this.kysely.connection().execute(async (connection) => {
      const { rows } = await sql<{ locked: boolean }>`SELECT pg_try_advisory_lock(hashtext(${name})) AS locked`.execute(connection);
      if (!rows[0]?.locked) return undefined;
      try {
        return await work();
      } finally {
        await sql`SELECT pg_advisory_unlock(hashtext(${name}))`.execute(connection);
      }
    });
  }

  /** Resolves once the database answered a trivial query (readiness). */
  async ping(): Promise<void> {
    await sql`SELECT 1`.execute(this.kysely);
  }

  async close(): Promise<void> {
    await this.kysely.destroy();
    await this.closed();
  }
}
