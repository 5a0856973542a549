import { randomUUID } from 'node:crypto';
import { isDateTime, isUuid } from './formats.js';

// What the formats mean, written the slow and obvious way: a pattern, and a Date that must give back the same fields.
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:Z|[+-](\d{2}):(\d{2}))$/i;

function isDateTimeByPattern(text: string): boolean {
  const parts = DATE_TIME.exec(text);
  if (!parts) return false;
  const [year, month, day, hour, minute, second, offsetHours, offsetMinutes] = parts.slice(1).map((part) => Number(part ?? 0));
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  return (
    date.getUTCFullYear() === year &&
    date.getUTCMonth() === month - 1 &&
    date.getUTCDate() === day &&
    hour < 24 &&
    minute < 60 &&
    second < 60 &&
    offsetHours < 24 &&
    offsetMinutes < 60
  );
}

/** A pseudo-random sequence with a fixed seed, so that a failure can be replayed. */
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

/** The text with one character changed, removed or added, many times over: near misses of a valid value. */
function nearMisses(valid: string[], alphabet: string, count: number): string[] {
  const random = seeded(42);
  const pick = (text: string) => text[Math.floor(random() * text.length)];
  return Array.from({ length: count }, () => {
    const text = valid[Math.floor(random() * valid.length)];
    const at = Math.floor(random() * (text.length + 1));
    const change = random();
    if (change < 0.6) return text.slice(0, at) + pick(alphabet) + text.slice(at + 1);
    if (change < 0.8) return text.slice(0, at) + text.slice(at + 1);
    return text.slice(0, at) + pick(alphabet) + text.slice(at);
  });
}

describe('isUuid', () => {
  it('accepts what randomUUID makes, in either case', () => {
    for (let n = 0; n < 100; n++) {
      const id = randomUUID();
      expect(isUuid(id)).toBe(true);
      expect(isUuid(id.toUpperCase())).toBe(true);
    }
  });

  it('refuses a wrong version or variant, a prefix, braces, and a UUID without dashes', () => {
    const id = '6f0c1c1e-0000-4000-8000-000000000001';
    for (const notUuid of [
      '6f0c1c1e-0000-0000-8000-000000000001',
      '6f0c1c1e-0000-9000-8000-000000000001',
      '6f0c1c1e-0000-4000-0000-000000000001',
      '6f0c1c1e-0000-4000-c000-000000000001',
      `urn:uuid:${id}`,
      `{${id}}`,
      id.replaceAll('-', ''),
      '',
    ]) {
      expect(isUuid(notUuid)).toBe(false);
    }
  });

  it('says what the pattern says on 20,000 near misses', () => {
    const valid = Array.from({ length: 50 }, () => randomUUID());
    for (const text of nearMisses(valid, '0123456789abcdefABCDEFgG-xz {}', 20_000))
      expect([text, isUuid(text)]).toEqual([text, UUID.test(text)]);
  });
});

describe('isDateTime', () => {
  it('accepts what toISOString writes, an offset, a fraction of any length, and lower-case t and z', () => {
    for (const text of [
      new Date().toISOString(),
      '2026-11-25T10:00:00Z',
      '2026-11-25T11:00:00+01:00',
      '2026-11-25T05:30:00.5-04:30',
      '2026-11-25t10:00:00.123456789z',
      '2028-02-29T23:59:59.999Z',
      '0050-01-01T00:00:00Z',
    ]) {
      expect([text, isDateTime(text)]).toEqual([text, true]);
    }
  });

  it('refuses a date-time without its offset, a date that does not exist, and a time past 23:59:59', () => {
    for (const text of [
      '2026-11-25T10:00:00',
      '2026-11-25 10:00:00Z',
      '2026-11-25T10:00:00.Z',
      '2026-11-25T10:00:00+0100',
      '2026-13-01T10:00:00Z',
      '2026-02-29T10:00:00Z',
      '2100-02-29T10:00:00Z',
      '2026-04-31T10:00:00Z',
      '2026-11-00T10:00:00Z',
      '2026-11-25T24:00:00Z',
      '2026-11-25T10:60:00Z',
      '2026-11-25T10:00:60Z',
      '2026-11-25T10:00:00+24:00',
      '2009-W01-1',
      '',
    ]) {
      expect([text, isDateTime(text)]).toEqual([text, false]);
    }
  });

  it('says what the pattern and the calendar say on 20,000 near misses', () => {
    const valid = [
      '2026-11-25T10:00:00.000Z',
      '2024-02-29T23:59:59Z',
      '1900-02-28T08:00:00Z',
      '2000-02-29T08:00:00Z',
      '1999-12-31T00:00:00.1+05:30',
      '2026-04-30T12:30:45-11:00',
    ];
    for (const text of nearMisses(valid, '0123456789-+:.TtZzx ', 20_000)) {
      expect([text, isDateTime(text)]).toEqual([text, isDateTimeByPattern(text)]);
    }
  });
});
