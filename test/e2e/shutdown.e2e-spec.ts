import { eventually, getPayment, ORDER, postJson, request, waitForTerminal } from './support/http.js';
import { assertInvariants } from './support/invariants.js';
import { unreadByGroup } from './support/kafka.js';
import { SagaSystem, sleep } from './support/saga-system.js';

type Outcome = { status: number; orderId?: string } | { error: string; when: 'before SIGTERM' | 'after SIGTERM' };

/** What a client saw when its request failed: the error code undici gives, e.g. ECONNREFUSED or UND_ERR_SOCKET. */
function failureCode(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? String(error);
}

/**
 * SIGTERM is the orderly shutdown (a deploy, a scale-in): it stops taking requests
 * first, lets those in progress finish, stops consuming, and publishes the outbox
 * before it exits, so nothing waits for a later start and no answer is cut off.
 */
describe('an orderly shutdown of order-service under load', () => {
  let system: SagaSystem;
  beforeAll(async () => {
    system = await SagaSystem.start({ env: { PAYMENT_FAILURE_RATE: '0', INVENTORY_FAILURE_RATE: '0' } });
  });
  afterAll(() => system?.stop());

  it('answers every request it took, refuses the rest cleanly, and publishes every accepted order before it exits', async () => {
    const url = system.url('order-service', '/orders');
    const outcomes: Outcome[] = [];
    let shuttingDown = false;
    // Eight clients posting back to back, each until it is told to go away (503, as a load balancer
    // that honours it would stop sending) or the service is gone.
    const clients = Array.from({ length: 8 }, async () => {
      for (;;) {
        try {
          const response = await postJson(url, ORDER);
          outcomes.push({ status: response.status, orderId: response.body?.orderId as string | undefined });
          if (response.status === 503) return;
        } catch (error) {
          const when = shuttingDown ? 'after SIGTERM' : 'before SIGTERM';
          outcomes.push({ error: failureCode(error), when });
          if (shuttingDown) return;
        }
      }
    });
    await sleep(1_500);
    shuttingDown = true;
    const exitCode = await system.stopService('order-service', 'SIGTERM');
    await Promise.all(clients);

    expect(exitCode).toBe(0);
    const failures = outcomes.filter((outcome): outcome is Extract<Outcome, { error: string }> => 'error' in outcome);
    const answers = outcomes.filter((outcome): outcome is { status: number; orderId?: string } => 'status' in outcome);
    // A connection refused means "not taken": safe to retry. A reset would mean "maybe taken": never.
    expect(failures.filter((failure) => failure.error !== 'ECONNREFUSED')).toEqual([]);
    expect(answers.filter((answer) => answer.status !== 201 && answer.status !== 503)).toEqual([]);
    // While it drained, it said so: 503, not a silence or a reset.
    expect(answers.some((answer) => answer.status === 503)).toBe(true);
    const accepted = answers.filter((answer) => answer.status === 201).map((answer) => answer.orderId!);
    expect(accepted.length).toBeGreaterThan(20);

    // order-service is still down: each accepted order got to payment-service, so its OrderCreated left the outbox before the exit.
    await eventually(
      () => Promise.all(accepted.map((orderId) => getPayment(system, orderId))),
      (payments) => payments.every((payment) => payment.status === 200),
      20_000,
      `a payment for each of the ${accepted.length} accepted orders, with order-service stopped`,
    );
    // Nothing more arrives for payment-service: what it handled is committed by itself, without a next batch (offset-committer.ts).
    await eventually(
      async () => (await unreadByGroup(system, 'payment-service')).filter(({ topic }) => topic === system.topic('order.created')),
      (unread) => unread.length === 0,
      10_000,
      "payment-service's group to commit every OrderCreated it handled",
    );

    await system.startService('order-service');
    for (const orderId of accepted) await waitForTerminal(system, orderId);
    await assertInvariants(system, accepted);
  });

  it('answers liveness and readiness apart', async () => {
    const url = system.url('payment-service');
    expect(await request(`${url}/health/live`)).toMatchObject({
      status: 200,
      body: { status: 'ok', info: { process: { service: 'payment-service' } } },
    });
    expect(await request(`${url}/health/ready`)).toMatchObject({
      status: 200,
      body: { status: 'ok', info: { kafka: { consumer: 'running' } } },
    });
  });

  it('keeps its inbox as long as the longest retention of the topics it reads, plus a day', () => {
    // The local broker keeps messages 7 days (Kafka's default, log.retention.hours=168).
    expect(system.log('payment-service')).toMatch(/the inbox keeps event ids for 8 days/);
  });
});
