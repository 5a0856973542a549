import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from './database.js';

describe('openDatabase', () => {
  it('migrates a database forward only once, across restarts', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'db-')), 'service.db');
    const migrations = ['CREATE TABLE things (id TEXT PRIMARY KEY)'];
    openDatabase(file, migrations).close();
    // A second run of the migration would fail: "table things already exists".
    const reopened = openDatabase(file, [...migrations, 'CREATE TABLE more (id TEXT)']);
    expect(reopened.pragma('user_version', { simple: true })).toBe(2);
    reopened.close();
  });

  it('creates the plumbing tables it is given, whatever the schema version', () => {
    const db = openDatabase(':memory:', [], ['CREATE TABLE IF NOT EXISTS outbox (id INTEGER)']);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all()).toEqual(['outbox']);
    db.close();
  });
});
