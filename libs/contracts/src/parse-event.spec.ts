import { createEvent } from './envelope.js';
import { InvalidEventError, parseEvent } from './parse-event.js';
import { orderCreated } from './testing/event-builders.js';

/** Consumed events are checked at runtime before any handler sees them. */
describe('parseEvent', () => {
  const valid = () => JSON.parse(JSON.stringify(orderCreated()));

  it('accepts a well-formed event of an expected type', () => {
    const raw = valid();
    const event = parseEvent(raw, ['OrderCreated']);
    expect(event).toMatchObject({ eventId: raw.eventId, type: 'OrderCreated', payload: { orderId: raw.correlationId, totalCents: 6000 } });
  });

  it.each([
    ['a string (invalid JSON left as text)', 'not json', /not a JSON object/],
    ['null (a tombstone)', null, /not a JSON object/],
    ['an array', [1, 2], /not a JSON object/],
    ['a Buffer', Buffer.from([0, 1]), /not a JSON object/],
  ])('rejects %s', (_what, raw, message) => {
    expect(() => parseEvent(raw, ['OrderCreated'])).toThrow(message);
  });

  it('says what is wrong with the envelope', () => {
    const raw = { ...valid(), eventId: 'nope', version: 2, extra: true };
    expect(() => parseEvent(raw, ['OrderCreated'])).toThrow(InvalidEventError);
    for (const problem of ['eventId must be a UUID', 'version must be 1', 'property extra should not exist']) {
      expect(() => parseEvent(raw, ['OrderCreated'])).toThrow(problem);
    }
  });

  it('rejects an event time that is ISO 8601 but not a usable date-time', () => {
    expect(() => parseEvent({ ...valid(), occurredAt: '2009-W01-1' }, ['OrderCreated'])).toThrow('occurredAt must be a date-time');
  });

  it('rejects an event of another type than the topic carries', () => {
    expect(() => parseEvent(valid(), ['PaymentFailed'])).toThrow('unexpected event type "OrderCreated" (expected PaymentFailed)');
  });

  it('names the payload field that is wrong, with its path', () => {
    const raw = valid();
    raw.payload.items[1].quantity = 0;
    delete raw.payload.userId;
    expect(() => parseEvent(raw, ['OrderCreated'])).toThrow(/invalid payload: .*items\.1\.quantity must not be less than 1/);
    expect(() => parseEvent(raw, ['OrderCreated'])).toThrow(/userId/);
  });

  it('refuses what the schema does not name, at every level, and says which field is missing', () => {
    const raw = valid();
    raw.payload.items[0].colour = 'red';
    raw.payload.coupon = 'FREE';
    delete raw.payload.totalCents;
    for (const problem of ['property items.0.colour should not exist', 'property coupon should not exist', 'totalCents is required']) {
      expect(() => parseEvent(raw, ['OrderCreated'])).toThrow(problem);
    }
  });

  it('reads ids as UUIDs only, and a date-time only with its offset', () => {
    expect(() => parseEvent({ ...valid(), eventId: `urn:uuid:${valid().eventId}` }, ['OrderCreated'])).toThrow('eventId must be a UUID');
    expect(() => parseEvent({ ...valid(), occurredAt: '2026-11-25T10:00:00' }, ['OrderCreated'])).toThrow('occurredAt must be a date-time');
    expect(() => parseEvent({ ...valid(), occurredAt: '2026-13-45T10:00:00Z' }, ['OrderCreated'])).toThrow(
      'occurredAt must be a date-time',
    );
    for (const notUuid of ['6f0c1c1e-0000-0000-8000-000000000001', '6f0c1c1e-0000-4000-0000-000000000001']) {
      expect(() => parseEvent({ ...valid(), eventId: notUuid }, ['OrderCreated'])).toThrow('eventId must be a UUID');
    }
    for (const noSuchTime of ['2026-02-29T10:00:00Z', '2026-04-31T10:00:00Z', '2026-11-25T24:00:00Z', '2026-11-25T10:60:00Z']) {
      expect(() => parseEvent({ ...valid(), occurredAt: noSuchTime }, ['OrderCreated'])).toThrow('occurredAt must be a date-time');
    }
    expect(parseEvent({ ...valid(), occurredAt: '2028-02-29T23:59:59.999Z' }, ['OrderCreated']).type).toBe('OrderCreated');
    const { causationId: _left, ...withoutCausation } = valid();
    expect(parseEvent({ ...withoutCausation, occurredAt: '2026-11-25T10:00:00+01:00' }, ['OrderCreated']).type).toBe('OrderCreated');
  });

  it('says at most 20 findings, and how many more there are', () => {
    const raw = valid();
    for (let n = 0; n < 1000; n++) raw.payload[`extra${n}`] = n;
    const reason = (() => {
      try {
        parseEvent(raw, ['OrderCreated']);
      } catch (error) {
        return (error as Error).message;
      }
      return '';
    })();
    expect(reason.split('; ')).toHaveLength(21);
    expect(reason).toMatch(/; and 980 more$/);
  });

  it('rejects an event whose correlation id is not its order', () => {
    const raw = valid();
    raw.correlationId = '00000000-0000-4000-8000-000000000000';
    expect(() => parseEvent(raw, ['OrderCreated'])).toThrow('correlationId must equal payload.orderId');
  });

  it('creates events with a fresh id, the current version and the given correlation', () => {
    const a = createEvent('OrderCompleted', { orderId: 'o', totalCents: 1 }, { correlationId: 'o', causationId: 'c' });
    const b = createEvent('OrderCompleted', { orderId: 'o', totalCents: 1 }, { correlationId: 'o', causationId: 'c' });
    expect(a.eventId).not.toBe(b.eventId);
    expect(a).toMatchObject({ version: 1, correlationId: 'o', causationId: 'c' });
  });
});
