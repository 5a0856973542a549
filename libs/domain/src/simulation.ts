import { createHash } from 'node:crypto';

/** A simulated outside system of the demo (a card gateway, a warehouse) that fails a share of requests. */
export interface SimulatedSystem {
  /** Share of requests it fails, 0..1. */
  readonly failureRate: number;
  /** Same seed and order id, same answer. */
  readonly simulationSeed: string;
}

/**
 * Whether the simulated system fails this order at this saga step: a pure function
 * of the seed, the step and the order id, so a redelivered or replayed event gets
 * the same answer, and a test can predict it.
 */
export function simulatedFailure({ failureRate, simulationSeed }: SimulatedSystem, step: string, orderId: string): boolean {
  if (failureRate <= 0) return false;
  if (failureRate >= 1) return true;
  const digest = createHash('sha256').update(`${simulationSeed}:${step}:${orderId}`).digest();
  return digest.readUIntBE(0, 6) / 2 ** 48 < failureRate;
}
