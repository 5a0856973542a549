import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import SQLite from 'better-sqlite3';
import { sql } from 'kysely';
import { openDatabase } from './open-database.js';

interface Tables {
  blobs: { id: number; body: string };
}

const MIGRATIONS = { sqlite: ['CREATE TABLE blobs (id INTEGER PRIMARY KEY, body TEXT NOT NULL)'], postgres: [] };
/** A WAL frame: a 4 KiB page and its 24-byte header. */
const FRAME_BYTES = 4096 + 24;

/** A file-backed SQLite database: its checkpoints run on a worker thread, not in the service's connection. */
describe('SQLite checkpoints off the event loop', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'checkpointer-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps the WAL small while the service connection leaves checkpoints to the worker', async () => {
    const file = join(dir, 'service.db');
    const database = await openDatabase<Tables>({ sqliteFile: file, migrations: MIGRATIONS });
    try {
      const { rows } = await sql<{ wal_autocheckpoint: number }>`PRAGMA wal_autocheckpoint`.execute(database.query);
      const backstop = rows[0].wal_autocheckpoint;
      expect(backstop).toBe(10_000);

      // About 2 frames a commit (a page of body, the table's page): twice the backstop in all. Had no one
      // else checkpointed, the WAL would have grown to the backstop's 10,000 frames before this connection did.
      const body = 'x'.repeat(3_500);
      for (let id = 1; id <= backstop; id++) {
        await database.query.insertInto('blobs').values({ id, body }).execute();
        if (id % 100 === 0) await sleep(5); // the service's idle moments, as between requests
      }

      const walFrames = statSync(`${file}-wal`).size / FRAME_BYTES;
      expect(walFrames).toBeLessThan(backstop / 2);
      const { rows: count } = await sql<{ n: number }>`SELECT COUNT(*) AS n FROM blobs`.execute(database.query);
      expect(count[0].n).toBe(backstop);
    } finally {
      await database.close();
    }
  });

  it('takes the write lock when a transaction begins, so that it never has to ask for it mid-way', async () => {
    const file = join(dir, 'service.db');
    const database = await openDatabase<Tables>({ sqliteFile: file, migrations: MIGRATIONS });
    const other = new SQLite(file, { timeout: 0 }); // as the checkpointer's connection, without its wait
    try {
      await database.transaction(async () => {
        await database.query.selectFrom('blobs').selectAll().execute(); // it reads first
        // Had it begun deferred, it would hold only a read lock here, the other connection would get the
        // write lock, and the insert below would fail with SQLITE_BUSY at once, without waiting.
        expect(() => other.exec('BEGIN IMMEDIATE')).toThrow(expect.objectContaining({ code: 'SQLITE_BUSY' }));
        await database.query.insertInto('blobs').values({ id: 1, body: 'a' }).execute();
      });
      expect(await database.query.selectFrom('blobs').select('id').execute()).toEqual([{ id: 1 }]);
    } finally {
      other.close();
      await database.close();
    }
  });

  it('waits for the worker to close its connection when the database closes, so that the last close folds the WAL in', async () => {
    const file = join(dir, 'service.db');
    const database = await openDatabase<Tables>({ sqliteFile: file, migrations: MIGRATIONS });
    const before = statSync(file).size;
    for (let id = 1; id <= 10; id++)
      await database.query
        .insertInto('blobs')
        .values({ id, body: 'x'.repeat(3_500) })
        .execute();
    // The worker has its connection open once it copied those pages into the database file.
    await until(() => statSync(file).size >= before + 10 * 4096);
    await database.close();

    // SQLite deletes the WAL when its last connection in the process closes: closing waits for the worker's.
    expect(existsSync(`${file}-wal`)).toBe(false);

    const reopened = await openDatabase<Tables>({ sqliteFile: file, migrations: MIGRATIONS });
    try {
      const { rows } = await sql<{ n: number }>`SELECT COUNT(*) AS n FROM blobs`.execute(reopened.query);
      expect(rows[0].n).toBe(10);
    } finally {
      await reopened.close();
    }
  });
});

/** Polls `condition` for up to 10 s (what it waits for happens on another thread). */
async function until(condition: () => boolean): Promise<void> {
  for (let waited = 0; !condition() && waited < 10_000; waited += 50) await sleep(50);
}
