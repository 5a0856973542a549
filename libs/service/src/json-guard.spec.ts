import { hostileJson, MAX_JSON_DEPTH } from './json-guard.js';

/** `depth` arrays, one inside the other. */
const nested = (depth: number): unknown => {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = [value];
  return value;
};

describe('hostileJson', () => {
  it('accepts an ordinary body', () => {
    expect(hostileJson({ userId: 'u', items: [{ productId: 'prod-1', quantity: 2, price: 25 }] })).toBeNull();
    expect(hostileJson(undefined)).toBeNull();
  });

  it('refuses nesting deeper than the limit, without recursing itself', () => {
    expect(hostileJson(nested(MAX_JSON_DEPTH))).toBeNull();
    expect(hostileJson(nested(MAX_JSON_DEPTH + 1))).toBe(`the JSON body is nested deeper than ${MAX_JSON_DEPTH} levels`);
    expect(hostileJson({ items: nested(100_000) })).toMatch(/nested deeper/);
  });

  it('refuses keys that could reach a prototype, wherever they are', () => {
    expect(hostileJson(JSON.parse('{"userId":"u","__proto__":{"admin":true}}'))).toBe('property __proto__ is not allowed');
    expect(hostileJson(JSON.parse('{"items":[{"constructor":{"prototype":1}}]}'))).toBe('property items.0.constructor is not allowed');
  });
});
