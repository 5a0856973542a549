import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';

export type Db = Database.Database;

/** Injection token of the service's own SQLite database. */
export const DATABASE = Symbol('DATABASE');

/**
 * Opens (creating if needed) a service's database and brings its schema up to
 * date. `plumbing`: tables of the messaging lib (outbox, inbox), created if missing.
 * `migrations[i]` is the service's schema version i + 1; versions only ever move forward.
 * WAL + synchronous=NORMAL: a committed transaction survives a process crash
 * (the failure this project tests); only an OS crash could lose the last commits.
 */
export function openDatabase(file: string, migrations: readonly string[], plumbing: readonly string[] = []): Db {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  // Short: the wait blocks the event loop, and only this service writes here. Longer locks are retried by the consumer.
  db.pragma('busy_timeout = 1000');
  db.pragma('foreign_keys = ON');
  for (const table of plumbing) db.exec(table);
  migrate(db, migrations);
  return db;
}

function migrate(db: Db, migrations: readonly string[]): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  db.transaction(() => {
    migrations.slice(current).forEach((sql, index) => {
      db.exec(sql);
      db.pragma(`user_version = ${current + index + 1}`);
    });
  })();
}
