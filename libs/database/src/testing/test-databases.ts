import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach } from '@jest/globals';
import pg from 'pg';
import type { Database, Dialect } from '../database.js';
import { openDatabase, type Migrations, type PlumbingTable } from '../open-database.js';

export interface TestDatabaseOptions {
  readonly migrations?: Migrations;
  readonly plumbing?: readonly PlumbingTable[];
}

/** A fresh database of one backend; `dispose` closes it (and drops it, on PostgreSQL). */
export interface TestDatabase<DB> {
  readonly database: Database<DB>;
  /** A second connection pool on the same database: what another instance of the service would have. */
  another(): Promise<Database<DB>>;
  dispose(): Promise<void>;
}

export interface TestBackend {
  readonly dialect: Dialect;
  open<DB>(options?: TestDatabaseOptions): Promise<TestDatabase<DB>>;
}

const NO_MIGRATIONS: Migrations = { sqlite: [], postgres: [] };

/**
 * The backends a repository suite runs on: SQLite always, PostgreSQL when
 * TEST_POSTGRES_URL names a server (`npm test` starts one and sets it).
 */
export function testBackends(): TestBackend[] {
  const server = process.env.TEST_POSTGRES_URL;
  return server ? [sqliteBackend, postgresBackend(server)] : [sqliteBackend];
}

const sqliteBackend: TestBackend = {
  dialect: 'sqlite',
  async open<DB>({ migrations = NO_MIGRATIONS, plumbing = [] }: TestDatabaseOptions = {}) {
    const database = await openDatabase<DB>({ sqliteFile: ':memory:', migrations, plumbing });
    return {
      database,
      another: () => Promise.reject(new Error('an in-memory SQLite database has one process')),
      dispose: () => database.close(),
    };
  },
};

function postgresBackend(server: string): TestBackend {
  return {
    dialect: 'postgres',
    async open<DB>({ migrations = NO_MIGRATIONS, plumbing = [] }: TestDatabaseOptions = {}) {
      const name = `test_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
      await admin(server, `CREATE DATABASE ${name}`);
      const url = `${server}/${name}`;
      const open = () => openDatabase<DB>({ url, sqliteFile: '', migrations, plumbing, poolSize: 4 });
      const opened = [await open()];
      return {
        database: opened[0],
        another: async () => {
          const database = await open();
          opened.push(database);
          return database;
        },
        dispose: async () => {
          await Promise.all(opened.map((database) => database.close()));
          await admin(server, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        },
      };
    },
  };
}

async function admin(server: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: `${server}/postgres` });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

/**
 * A fresh database of `backend` for each test of the enclosing `describe` (opened in
 * `beforeEach`, disposed in `afterEach`); call the returned function inside a test.
 */
export function freshDatabaseEach(backend: TestBackend, options: TestDatabaseOptions): () => TestDatabase<unknown> {
  let test: TestDatabase<unknown> | undefined;
  beforeEach(async () => {
    test = await backend.open(options);
  });
  afterEach(() => test?.dispose());
  return () => {
    if (!test) throw new Error('freshDatabaseEach: use the database inside a test');
    return test;
  };
}
