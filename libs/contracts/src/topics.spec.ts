import { EVENT_TYPES } from './events.js';
import { Topics } from './topics.js';

describe('Topics', () => {
  const topics = new Topics('run-1.');

  it('gives each event type a topic of its own, so a topic tells its type', () => {
    const names = EVENT_TYPES.map((type) => topics.of(type));
    expect(new Set(names).size).toBe(EVENT_TYPES.length);
    for (const type of EVENT_TYPES) expect(topics.typeOn(topics.of(type))).toBe(type);
    expect(topics.typeOn(topics.deadLetter)).toBeUndefined();
  });

  it('prefixes every topic and consumer group, so copies of the system can share a broker', () => {
    expect(topics.of('OrderCreated')).toBe('run-1.order.created');
    expect(topics.all()).toHaveLength(EVENT_TYPES.length + 1);
    expect(topics.all().every((name) => name.startsWith('run-1.'))).toBe(true);
    expect(topics.consumerGroup('order-service')).toBe('run-1.order-service');
    expect(new Topics().of('OrderCreated')).toBe('order.created');
  });
});
