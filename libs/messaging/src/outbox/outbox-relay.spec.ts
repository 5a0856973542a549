import type { TopicMessages } from 'kafkajs';
import { OutboxRelay, type OutboxMessage, type OutboxSource } from './outbox-relay.js';

/** An in-memory outbox table: the relay's logic, without a database or a broker. */
class MemoryOutbox implements OutboxSource {
  rows: OutboxMessage[] = [];
  /** Another instance's relay is publishing: `exclusively` refuses. */
  busy = false;
  private nextId = 1;

  add(topic: string, key: string): void {
    this.rows.push({ id: this.nextId++, topic, key, value: `${topic}:${key}`, createdAt: new Date().toISOString(), headers: null });
  }
  pending(limit: number): Promise<OutboxMessage[]> {
    return Promise.resolve(this.rows.slice(0, limit));
  }
  markPublished(ids: number[]): Promise<void> {
    this.rows = this.rows.filter((row) => !ids.includes(row.id));
    return Promise.resolve();
  }
  async exclusively(work: () => Promise<void>): Promise<boolean> {
    if (this.busy) return false;
    await work();
    return true;
  }
}

const settle = () => new Promise((done) => setTimeout(done, 5));
const sendInto =
  (sent: TopicMessages[][]) =>
  (batch: TopicMessages[]): Promise<void> => {
    sent.push(batch);
    return Promise.resolve();
  };

describe('OutboxRelay', () => {
  it('publishes what a previous run left as soon as it starts, grouped by topic in order', async () => {
    const outbox = new MemoryOutbox();
    outbox.add('a', '1');
    outbox.add('b', '1');
    outbox.add('a', '2');
    const sent: TopicMessages[][] = [];

    const relay = new OutboxRelay(outbox);
    relay.start(sendInto(sent));
    await relay.flush(Date.now() + 1_000);

    expect(sent).toEqual([
      [
        {
          topic: 'a',
          messages: [
            { key: '1', value: 'a:1' },
            { key: '2', value: 'a:2' },
          ],
        },
        { topic: 'b', messages: [{ key: '1', value: 'b:1' }] },
      ],
    ]);
    expect(outbox.rows).toEqual([]);
  });

  it('batches what is committed while a send is in flight into the next send', async () => {
    const outbox = new MemoryOutbox();
    const sends: number[] = [];
    let release!: () => void;
    const relay = new OutboxRelay(outbox);
    outbox.add('a', '1');
    relay.start(async (batch) => {
      sends.push(batch.reduce((n, t) => n + t.messages.length, 0));
      if (sends.length === 1) await new Promise<void>((done) => (release = done));
    });
    await settle();

    for (let i = 2; i <= 5; i++) {
      outbox.add('a', String(i));
      relay.notify();
    }
    release();
    await settle();
    await relay.flush(Date.now() + 1_000);

    expect(sends).toEqual([1, 4]);
    expect(outbox.rows).toEqual([]);
  });

  it('splits what is pending into requests well under the broker limit', async () => {
    const outbox = new MemoryOutbox();
    const big = 'x'.repeat(100 * 1024);
    for (let i = 0; i < 12; i++)
      outbox.rows.push({ id: i + 1, topic: 'a', key: String(i), value: big, createdAt: new Date().toISOString(), headers: null });
    const sent: TopicMessages[][] = [];

    const relay = new OutboxRelay(outbox);
    relay.start(sendInto(sent));
    await relay.flush(Date.now() + 1_000);

    expect(sent.map((batch) => batch[0].messages.length)).toEqual([5, 5, 2]);
    expect(outbox.rows).toEqual([]);
  });

  it('keeps the rows when Kafka does not acknowledge, and publishes them on retry', async () => {
    const outbox = new MemoryOutbox();
    outbox.add('a', '1');
    let attempts = 0;
    const relay = new OutboxRelay(outbox);

    relay.start(() => {
      attempts++;
      return attempts === 1 ? Promise.reject(new Error('broker unavailable')) : Promise.resolve();
    });
    await settle();
    expect(outbox.rows).toHaveLength(1);

    await new Promise((done) => setTimeout(done, 250));
    expect(attempts).toBe(2);
    expect(outbox.rows).toEqual([]);
    relay.stop();
  });

  it('flushes through a failing broker until it acknowledges, instead of returning during the backoff', async () => {
    const outbox = new MemoryOutbox();
    outbox.add('a', '1');
    let attempts = 0;
    const relay = new OutboxRelay(outbox);
    relay.start(() => (++attempts <= 3 ? Promise.reject(new Error('broker unavailable')) : Promise.resolve()));
    await settle(); // the first send failed: the relay is in its backoff now

    expect(await relay.flush(Date.now() + 5_000)).toBe(true);
    expect(attempts).toBe(4);
    expect(outbox.rows).toEqual([]);
  });

  it('gives up flushing at the deadline and says so, keeping the rows for the next start', async () => {
    const outbox = new MemoryOutbox();
    outbox.add('a', '1');
    const relay = new OutboxRelay(outbox);
    relay.start(() => Promise.reject(new Error('broker unavailable')));

    expect(await relay.flush(Date.now() + 300)).toBe(false);
    expect(outbox.rows).toHaveLength(1);
    relay.stop();
  });

  it('publishes nothing before it has a producer', async () => {
    const outbox = new MemoryOutbox();
    outbox.add('a', '1');
    new OutboxRelay(outbox).notify();
    await settle();
    expect(outbox.rows).toHaveLength(1);
  });

  it("leaves the rows to another instance's relay while it publishes, and looks again soon after", async () => {
    const outbox = new MemoryOutbox();
    outbox.add('a', '1');
    outbox.busy = true;
    const sent: TopicMessages[][] = [];
    const relay = new OutboxRelay(outbox);

    relay.start(sendInto(sent));
    await settle();
    expect(sent).toEqual([]);

    outbox.busy = false;
    await new Promise((done) => setTimeout(done, 150));
    expect(sent).toHaveLength(1);
    relay.stop();
  });

  it('publishes rows that no commit of its own announced when it polls (another instance died before publishing them)', async () => {
    const outbox = new MemoryOutbox();
    const sent: TopicMessages[][] = [];
    const relay = new OutboxRelay(outbox);
    relay.start(sendInto(sent), { pollMs: 20 });
    await settle();

    outbox.add('a', 'left-by-a-dead-instance');
    await new Promise((done) => setTimeout(done, 100));

    expect(sent.flat().flatMap((topic) => topic.messages.map((message) => message.key))).toEqual(['left-by-a-dead-instance']);
    relay.stop();
  });
});
