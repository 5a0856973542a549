import type { Topics } from '#contracts';
import type { Database } from '#database';
import { Inbox, INBOX_AGE_INDEX, INBOX_TABLE } from './inbox/inbox.js';
import { OutboxRelay } from './outbox/outbox-relay.js';
import { OUTBOX_TABLE, OutboxStore } from './outbox/outbox-store.js';
import { UnitOfWork } from './unit-of-work.js';

/** The tables the outbox and the inbox need in a service's database. */
export const TRANSACTIONAL_MESSAGING_TABLES = [OUTBOX_TABLE, INBOX_TABLE, INBOX_AGE_INDEX];

/** The outbox, its relay, the inbox, and the unit of work that binds them to one transaction. */
export interface TransactionalMessaging {
  readonly outbox: OutboxStore;
  readonly relay: OutboxRelay;
  readonly inbox: Inbox;
  readonly unitOfWork: UnitOfWork;
}

export function transactionalMessaging(database: Database, topics: Topics): TransactionalMessaging {
  const outbox = new OutboxStore(database, topics);
  const relay = new OutboxRelay(outbox);
  const inbox = new Inbox(database);
  return { outbox, relay, inbox, unitOfWork: new UnitOfWork(database, outbox, relay, inbox) };
}
