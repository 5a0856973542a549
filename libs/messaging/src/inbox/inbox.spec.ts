import { orderCreated } from '#contracts/testing';
import { testBackends, type TestDatabase } from '#database/testing';
import { INBOX_MARGIN_MS, inboxKeepMs } from './inbox-pruner.js';
import { Inbox, INBOX_AGE_INDEX, INBOX_TABLE, type InboxTables } from './inbox.js';

const DAY = 24 * 60 * 60 * 1000;

describe('how long the inbox keeps an event id', () => {
  it('is the longest retention of the topics it reads, plus a margin', () => {
    expect(inboxKeepMs([7 * DAY, 14 * DAY, DAY])).toBe(14 * DAY + INBOX_MARGIN_MS);
  });

  it('is forever when a topic keeps its messages forever, or when nothing is known', () => {
    expect(inboxKeepMs([7 * DAY, -1])).toBeNull();
    expect(inboxKeepMs([])).toBeNull();
  });
});

describe.each(testBackends())('the inbox on $dialect', (backend) => {
  let test: TestDatabase<unknown>;
  let inbox: Inbox;

  beforeEach(async () => {
    test = await backend.open({ plumbing: [INBOX_TABLE, INBOX_AGE_INDEX] });
    inbox = new Inbox(test.database);
  });
  afterEach(() => test.dispose());

  const ids = async () =>
    (
      await test.database.withTables<InboxTables>().query.selectFrom('processed_events').select('event_id').orderBy('event_id').execute()
    ).map((row) => row.event_id);

  it('knows a redelivered event', async () => {
    const event = orderCreated();
    expect(await inbox.firstDelivery(event)).toBe(true);
    expect(await inbox.firstDelivery(event)).toBe(false);
  });

  it('forgets only the events applied before the cut-off, however many', async () => {
    const old = new Date(Date.now() - 10 * DAY).toISOString();
    const rows = Array.from({ length: 12_000 }, (_, i) => ({
      event_id: `old-${String(i).padStart(5, '0')}`,
      type: 'OrderCreated',
      processed_at: old,
    }));
    for (let i = 0; i < rows.length; i += 1_000)
      await test.database
        .withTables<InboxTables>()
        .query.insertInto('processed_events')
        .values(rows.slice(i, i + 1_000))
        .execute();
    const recent = orderCreated();
    await inbox.firstDelivery(recent);

    expect(await inbox.prune(new Date(Date.now() - 8 * DAY))).toBe(12_000);
    expect(await ids()).toEqual([recent.eventId]);
    expect(await inbox.firstDelivery(recent)).toBe(false);
  });
});
