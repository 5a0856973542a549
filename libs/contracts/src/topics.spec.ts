import { COMMAND_TYPES, EVENT_TYPES, MESSAGE_TYPES } from './events.js';
import { Topics } from './topics.js';

describe('Topics', () => {
  const topics = new Topics('run-1.');

  it('gives each message type, event or command, a topic of its own, so a topic tells its type', () => {
    const names = MESSAGE_TYPES.map((type) => topics.of(type));
    expect(new Set(names).size).toBe(MESSAGE_TYPES.length);
    for (const type of MESSAGE_TYPES) expect(topics.typeOn(topics.of(type))).toBe(type);
    expect(topics.typeOn(topics.deadLetter)).toBeUndefined();
  });

  it('keeps the facts apart from the commands: analytics reads events() and nothing else', () => {
    expect(topics.events()).toEqual(EVENT_TYPES.map((type) => topics.of(type)));
    expect(topics.commands()).toEqual(COMMAND_TYPES.map((type) => topics.of(type)));
    expect(topics.commands()).toEqual([
      'run-1.payment.charge',
      'run-1.payment.refund',
      'run-1.inventory.reserve',
      'run-1.inventory.release',
    ]);
  });

  it('prefixes every topic and consumer group, so copies of the system can share a broker', () => {
    expect(topics.of('OrderCreated')).toBe('run-1.order.created');
    expect(topics.all()).toHaveLength(MESSAGE_TYPES.length + 1);
    expect(topics.all().every((name) => name.startsWith('run-1.'))).toBe(true);
    expect(topics.consumerGroup('order-service')).toBe('run-1.order-service');
    expect(new Topics().of('OrderCreated')).toBe('order.created');
  });
});
