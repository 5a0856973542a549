/**
 * Money crosses the HTTP boundary as decimal amounts (`25.5`) and lives everywhere
 * else as integer cents, so sums are exact.
 */
export function toCents(amount: number): number {
  return Math.round(amount * 100);
}

export function fromCents(cents: number): number {
  return cents / 100;
}
