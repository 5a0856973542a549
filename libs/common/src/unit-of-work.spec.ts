import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OutboxRelay } from '#kafka';
import { orderCreated } from '#kafka/testing';
import { openDatabase, type Db } from './database.js';
import { OutboxStore, UnitOfWork } from './unit-of-work.js';

/** The outbox and the idempotent consumer, on a real (in-memory) SQLite database. */
describe('UnitOfWork', () => {
  let db: Db;
  let outbox: OutboxStore;
  let unitOfWork: UnitOfWork;

  beforeEach(() => {
    db = openDatabase(':memory:', ['CREATE TABLE things (id TEXT PRIMARY KEY)']);
    outbox = new OutboxStore(db);
    unitOfWork = new UnitOfWork(db, outbox, new OutboxRelay(outbox));
  });
  afterEach(() => db.close());

  const things = () => db.prepare('SELECT COUNT(*) AS n FROM things').get() as { n: number };

  it('commits the state change and its events together', () => {
    const event = orderCreated();
    unitOfWork.commit((emit) => {
      db.prepare('INSERT INTO things VALUES (?)').run('a');
      emit(event);
    });

    expect(things().n).toBe(1);
    expect(outbox.pending(10)).toEqual([expect.objectContaining({ topic: 'order.created', key: event.correlationId, value: JSON.stringify(event) })]);
  });

  it('rolls back both when the work throws', () => {
    expect(() =>
      unitOfWork.commit((emit) => {
        db.prepare('INSERT INTO things VALUES (?)').run('a');
        emit(orderCreated());
        throw new Error('boom');
      }),
    ).toThrow('boom');

    expect(things().n).toBe(0);
    expect(outbox.pending(10)).toEqual([]);
  });

  it('applies an event once, however often it is delivered', () => {
    const event = orderCreated();
    const apply = () => unitOfWork.applyOnce(event, () => void db.prepare('INSERT INTO things VALUES (?)').run(event.eventId));

    expect(apply()).toBe(true);
    expect(apply()).toBe(false);
    expect(things().n).toBe(1);
  });

  it('does not mark an event applied when applying it failed, so a retry can apply it', () => {
    const event = orderCreated();
    expect(() => unitOfWork.applyOnce(event, () => { throw new Error('transient'); })).toThrow('transient');
    expect(unitOfWork.applyOnce(event, () => void db.prepare('INSERT INTO things VALUES (?)').run('x'))).toBe(true);
  });

  it('migrates a database forward only once, across restarts', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'uow-')), 'service.db');
    const migrations = ['CREATE TABLE things (id TEXT PRIMARY KEY)'];
    openDatabase(file, migrations).close();
    // A second run of the migration would fail: "table things already exists".
    const reopened = openDatabase(file, [...migrations, 'CREATE TABLE more (id TEXT)']);
    expect(reopened.pragma('user_version', { simple: true })).toBe(2);
    reopened.close();
  });
});
