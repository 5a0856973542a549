import type { EachBatchPayload, OffsetsByTopicPartition } from 'kafkajs';
import { OffsetCommitter } from './offset-committer.js';

/** A consumer's offsets as kafkajs keeps them: resolved by the handler, committed when asked. */
class FakeConsumer {
  running = true;
  failCommits = false;
  readonly commits: OffsetsByTopicPartition[] = [];
  private readonly resolved = new Map<string, string>();
  private readonly committed = new Map<string, string>();

  resolve(topic: string, partition: number, offset: number): void {
    this.resolved.set(`${topic}:${partition}`, String(offset + 1));
  }

  payload(): EachBatchPayload {
    const offsets: Pick<EachBatchPayload, 'uncommittedOffsets' | 'commitOffsetsIfNecessary' | 'isRunning'> = {
      isRunning: () => this.running,
      uncommittedOffsets: () => {
        const changed = [...this.resolved].filter(([key, offset]) => this.committed.get(key) !== offset);
        const topics = [...new Set(changed.map(([key]) => key.split(':')[0]))];
        return {
          topics: topics.map((topic) => ({
            topic,
            partitions: changed
              .filter(([key]) => key.startsWith(`${topic}:`))
              .map(([key, offset]) => ({ partition: Number(key.split(':')[1]), offset })),
          })),
        };
      },
      commitOffsetsIfNecessary: (offsets) => {
        if (this.failCommits) return Promise.reject(new Error('The coordinator is loading'));
        this.commits.push(offsets as OffsetsByTopicPartition);
        for (const { topic, partitions } of (offsets as OffsetsByTopicPartition).topics) {
          for (const { partition, offset } of partitions) this.committed.set(`${topic}:${partition}`, offset);
        }
        return Promise.resolve();
      },
    };
    return offsets as EachBatchPayload;
  }
}

const HOUR_MS = 3_600_000;

async function until(condition: () => boolean): Promise<void> {
  for (let waited = 0; !condition(); waited += 5) {
    if (waited > 5_000) throw new Error('gave up waiting');
    await new Promise((done) => setTimeout(done, 5));
  }
}

describe('OffsetCommitter', () => {
  it('commits what many batches resolved in one request, not one per batch', async () => {
    const consumer = new FakeConsumer();
    const committer = new OffsetCommitter(HOUR_MS);
    for (let offset = 0; offset < 5; offset++) {
      await committer.around(() => Promise.resolve(consumer.resolve('a', offset % 2, offset)))(consumer.payload());
    }
    expect(consumer.commits).toHaveLength(0);

    await committer.flush();
    expect(consumer.commits).toEqual([
      {
        topics: [
          {
            topic: 'a',
            partitions: [
              { partition: 0, offset: '5' },
              { partition: 1, offset: '4' },
            ],
          },
        ],
      },
    ]);
    await committer.flush();
    expect(consumer.commits).toHaveLength(1); // nothing new: no request
  });

  it('commits by itself once the interval has passed after a batch', async () => {
    const consumer = new FakeConsumer();
    const committer = new OffsetCommitter(10);
    await committer.around(() => Promise.resolve(consumer.resolve('a', 0, 7)))(consumer.payload());
    await until(() => consumer.commits.length === 1);
    expect(consumer.commits[0].topics[0].partitions).toEqual([{ partition: 0, offset: '8' }]);
  });

  it('commits at once a batch that ends while the consumer stops, before kafkajs leaves the group', async () => {
    const consumer = new FakeConsumer();
    const committer = new OffsetCommitter(HOUR_MS);
    await committer.around(() => {
      consumer.resolve('a', 0, 3);
      consumer.running = false;
      return Promise.resolve();
    })(consumer.payload());
    expect(consumer.commits).toHaveLength(1);
  });

  it("commits what a failed batch resolved before it failed, and passes the handler's error on unchanged", async () => {
    const consumer = new FakeConsumer();
    const committer = new OffsetCommitter(10);
    const failure = new Error('the database is locked');
    const handled = committer.around(() => {
      consumer.resolve('a', 2, 0);
      return Promise.reject(failure);
    })(consumer.payload());
    await expect(handled).rejects.toBe(failure);

    await until(() => consumer.commits.length === 1);
    expect(consumer.commits[0].topics[0].partitions).toEqual([{ partition: 2, offset: '1' }]);
  });

  it('does not reject when a commit fails, and tries again an interval later', async () => {
    const consumer = new FakeConsumer();
    const committer = new OffsetCommitter(10);
    await committer.around(() => Promise.resolve(consumer.resolve('a', 0, 0)))(consumer.payload());
    consumer.failCommits = true;
    await expect(committer.flush()).resolves.toBeUndefined();
    expect(consumer.commits).toHaveLength(0);

    consumer.failCommits = false;
    await until(() => consumer.commits.length === 1);
    expect(consumer.commits[0].topics[0].partitions).toEqual([{ partition: 0, offset: '1' }]);
  });
});
