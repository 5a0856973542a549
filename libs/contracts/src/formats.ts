/**
 * The string formats the event schemas use (registered with Ajv by parse-event.ts): what
 * each accepts is ours, not a library default. Both run on every id and every event time
 * of every consumed event, so they read characters instead of matching a pattern and
 * allocate nothing: a case-insensitive UUID pattern took twice the time, and the date-time
 * pattern with its `Date` check made most of analytics' garbage per event (docs/performance.md).
 */

const DASH = 0x2d;

/** A UUID as RFC 9562 writes it (version 1-8, variant 10xx), which randomUUID() makes; either case; no "urn:uuid:" prefix. */
export function isUuid(text: string): boolean {
  if (text.length !== 36) return false;
  for (let i = 0; i < 36; i++) {
    const code = text.charCodeAt(i);
    if (i === 8 || i === 13 || i === 18 || i === 23 ? code !== DASH : hexValue(code) < 0) return false;
  }
  const version = hexValue(text.charCodeAt(14));
  const variant = hexValue(text.charCodeAt(19));
  return version >= 1 && version <= 8 && variant >= 8 && variant <= 11;
}

/**
 * An RFC 3339 date-time with its offset, as toISOString() writes it
 * (2026-11-25T10:00:00.000Z, or 2026-11-25T11:00:00+01:00), and a real one: no 31 February,
 * no 24:00, no minute 60.
 */
export function isDateTime(text: string): boolean {
  const year = digits(text, 0, 4);
  const month = digits(text, 5, 2);
  const day = digits(text, 8, 2);
  const hour = digits(text, 11, 2);
  const minute = digits(text, 14, 2);
  const second = digits(text, 17, 2);
  if (!at(text, 4, '-') || !at(text, 7, '-') || !(at(text, 10, 'T') || at(text, 10, 't')) || !at(text, 13, ':') || !at(text, 16, ':')) {
    return false;
  }
  if (year < 0 || month < 1 || month > 12 || day < 1 || day > daysIn(year, month) || hour < 0 || hour > 23) return false;
  if (minute < 0 || minute > 59 || second < 0 || second > 59) return false;
  let end = 19;
  if (at(text, end, '.')) {
    const fraction = ++end;
    while (isDigit(text.charCodeAt(end))) end++;
    if (end === fraction) return false;
  }
  if (at(text, end, 'Z') || at(text, end, 'z')) return end + 1 === text.length;
  if (!(at(text, end, '+') || at(text, end, '-')) || !at(text, end + 3, ':') || end + 6 !== text.length) return false;
  const offsetHours = digits(text, end + 1, 2);
  const offsetMinutes = digits(text, end + 4, 2);
  return offsetHours >= 0 && offsetHours < 24 && offsetMinutes >= 0 && offsetMinutes < 60;
}

/** The value of a hexadecimal digit's character code, or -1. */
function hexValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  const lower = code | 0x20;
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x61 + 10 : -1;
}

function isDigit(code: number): boolean {
  return code >= 0x30 && code <= 0x39;
}

/** The number written by `length` decimal digits from `start`, or -1 if any is not a digit (or the text ends). */
function digits(text: string, start: number, length: number): number {
  let value = 0;
  for (let i = start; i < start + length; i++) {
    const code = text.charCodeAt(i);
    if (!isDigit(code)) return -1;
    value = value * 10 + code - 0x30;
  }
  return value;
}

function at(text: string, index: number, char: string): boolean {
  return text.charCodeAt(index) === char.charCodeAt(0);
}

function daysIn(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}
