import { sql } from 'kysely';
import { testBackends } from './testing/test-databases.js';

interface Tables {
  counters: { name: string; value: number };
}

const MIGRATIONS = {
  sqlite: ['CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL)'],
  postgres: ['CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL)'],
};

describe.each(testBackends())('Database on $dialect', (backend) => {
  it('migrates forward only, and creates the plumbing tables it is given', async () => {
    const plumbing = [
      { sqlite: 'CREATE TABLE IF NOT EXISTS outbox (id INTEGER)', postgres: 'CREATE TABLE IF NOT EXISTS outbox (id INTEGER)' },
    ];
    const test = await backend.open<Tables>({ migrations: MIGRATIONS, plumbing });
    try {
      await test.database.query.insertInto('counters').values({ name: 'a', value: 1 }).execute();
      const rows = await test.database.query.selectFrom('counters').selectAll().execute();
      expect(rows).toEqual([{ name: 'a', value: 1 }]);
      await expect(sql`SELECT COUNT(*) AS n FROM outbox`.execute(test.database.query)).resolves.toBeDefined();
    } finally {
      await test.dispose();
    }
  });

  it('adds a column a plumbing table gained since an older version made it, once', async () => {
    const older = { sqlite: 'CREATE TABLE IF NOT EXISTS outbox (id INTEGER)', postgres: 'CREATE TABLE IF NOT EXISTS outbox (id INTEGER)' };
    const newer = {
      sqlite: 'CREATE TABLE IF NOT EXISTS outbox (id INTEGER, headers TEXT)',
      postgres: 'CREATE TABLE IF NOT EXISTS outbox (id INTEGER, headers TEXT)',
      addedColumns: [{ table: 'outbox', column: 'headers', type: 'TEXT' }],
    };
    // The older table exists when the newer definition comes; the second time, the column exists already.
    const test = await backend.open<Tables>({ migrations: MIGRATIONS, plumbing: [older, newer, newer] });
    try {
      await sql`INSERT INTO outbox (id, headers) VALUES (1, 'h')`.execute(test.database.query);
      const { rows } = await sql<{ headers: string }>`SELECT headers FROM outbox`.execute(test.database.query);
      expect(rows).toEqual([{ headers: 'h' }]);
    } finally {
      await test.dispose();
    }
  });

  it('commits all of a transaction or nothing', async () => {
    const test = await backend.open<Tables>({ migrations: MIGRATIONS });
    const { database } = test;
    try {
      await expect(
        database.transaction(async () => {
          await database.query.insertInto('counters').values({ name: 'a', value: 1 }).execute();
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      await database.transaction(() => database.query.insertInto('counters').values({ name: 'b', value: 2 }).execute());
      expect(await database.query.selectFrom('counters').select('name').execute()).toEqual([{ name: 'b' }]);
    } finally {
      await test.dispose();
    }
  });

  if (backend.dialect !== 'postgres') return;

  it('runs a transaction that lost a conflict to another instance again, so no update is lost', async () => {
    const test = await backend.open<Tables>({ migrations: MIGRATIONS });
    const other = await test.another();
    try {
      await test.database.query.insertInto('counters').values({ name: 'n', value: 0 }).execute();
      const increment = (database: typeof other) =>
        database.transaction(async () => {
          const { value } = await database.query.selectFrom('counters').select('value').where('name', '=', 'n').executeTakeFirstOrThrow();
          await sql`SELECT pg_sleep(0.02)`.execute(database.query);
          await database.query
            .updateTable('counters')
            .set({ value: value + 1 })
            .where('name', '=', 'n')
            .execute();
        });
      await Promise.all(Array.from({ length: 10 }, (_, i) => increment(i % 2 ? other : test.database)));
      const { value } = await test.database.query.selectFrom('counters').select('value').executeTakeFirstOrThrow();
      expect(value).toBe(10);
    } finally {
      await test.dispose();
    }
  });

  it('runs exclusive work on one instance at a time', async () => {
    const test = await backend.open<Tables>();
    const other = await test.another();
    try {
      let release!: () => void;
      const held = new Promise<void>((done) => (release = done));
      const first = test.database.exclusively('job', () => held.then(() => 'first'));
      await new Promise((done) => setTimeout(done, 50));
      await expect(other.exclusively('job', () => Promise.resolve('second'))).resolves.toBeUndefined();
      release();
      await expect(first).resolves.toBe('first');
      await expect(other.exclusively('job', () => Promise.resolve('second'))).resolves.toBe('second');
    } finally {
      await test.dispose();
    }
  });
});
