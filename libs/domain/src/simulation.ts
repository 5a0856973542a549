import { createHash } from 'node:crypto';

/**
 * The demo's simulated failures (a declining card, a warehouse glitch) as a pure
 * function of the seed, the saga step and the order id: a redelivered or replayed
 * event gets the same answer, and a test can predict it.
 */
export function simulatedFailure(seed: string, step: string, orderId: string, rate: number): boolean {
  if (rate <= 0) return false;
  if (rate >= 1) return true;
  const digest = createHash('sha256').update(`${seed}:${step}:${orderId}`).digest();
  return digest.readUIntBE(0, 6) / 2 ** 48 < rate;
}
