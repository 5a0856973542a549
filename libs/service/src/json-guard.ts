import type { NextFunction, Request, Response } from 'express';

/** Deeper than any body this API accepts; validation past it would recurse until the stack runs out (a 500). */
export const MAX_JSON_DEPTH = 32;
/** Keys that the validation layer does not see as properties (class-transformer skips them), so the whitelist cannot refuse them. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** What is wrong with a parsed JSON body, or null: nesting deeper than MAX_JSON_DEPTH, or a key that could reach a prototype. */
export function hostileJson(body: unknown): string | null {
  const stack: Array<[value: unknown, depth: number, path: string]> = [[body, 1, '']];
  while (stack.length > 0) {
    const [value, depth, path] = stack.pop()!;
    if (value === null || typeof value !== 'object') continue;
    if (depth > MAX_JSON_DEPTH) return `the JSON body is nested deeper than ${MAX_JSON_DEPTH} levels`;
    for (const key of Object.keys(value)) {
      const at = path ? `${path}.${key}` : key;
      if (FORBIDDEN_KEYS.has(key)) return `property ${at} is not allowed`;
      stack.push([(value as Record<string, unknown>)[key], depth + 1, at]);
    }
  }
  return null;
}

/** Express middleware, after the JSON parser: 400 with the reason for a hostile body, before any validation runs. */
export function rejectHostileJson(request: Request, response: Response, next: NextFunction): void {
  const problem = hostileJson(request.body);
  if (!problem) return next();
  response.status(400).json({ statusCode: 400, error: 'Bad Request', message: problem });
}
