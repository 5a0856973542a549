import { randomUUID } from 'node:crypto';
import { networkInterfaces } from 'node:os';
import { assertInvariants } from './support/invariants.js';
import { getStock, postJson, request, waitForTerminal } from './support/http.js';
import { SagaSystem } from './support/saga-system.js';

/** An address of this host other than loopback: a client using it is, to the service, not local. */
function externalAddress(): string | undefined {
  return Object.values(networkInterfaces())
    .flat()
    .find((address) => address && address.family === 'IPv4' && !address.internal)?.address;
}

/** POST /inventory/restock: the operator's endpoint that test-saga uses to start every run from the same shelf. */
describe('restocking the shelf', () => {
  let system: SagaSystem;
  const restock = (body: unknown, headers: Record<string, string> = {}) =>
    postJson(system.url('inventory-service', '/inventory/restock'), body, headers);

  beforeAll(async () => {
    system = await SagaSystem.start({
      env: { PAYMENT_FAILURE_RATE: '0', INVENTORY_FAILURE_RATE: '0', INITIAL_STOCK: 'prod-1:3,prod-2:5' },
    });
  });
  afterAll(() => system?.stop());

  it('puts units on the shelf once per restock id, and orders can take them', async () => {
    const restockId = randomUUID();
    const first = await restock({ productId: 'prod-1', quantity: 4, restockId });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ restockId, productId: 'prod-1', quantity: 4, level: { initial: 3, restocked: 4, available: 7 } });

    const retried = await restock({ productId: 'prod-1', quantity: 4, restockId });
    expect([retried.status, retried.body]).toEqual([201, first.body]);
    expect((await getStock(system))['prod-1']).toMatchObject({ initial: 3, restocked: 4, available: 7, reserved: 0 });

    // 6 units: more than the initial stock, fewer than what the restock made available.
    const placed = await postJson(system.url('order-service', '/orders'), {
      userId: 'u',
      items: [{ productId: 'prod-1', quantity: 6, price: 1 }],
    });
    expect(placed.status).toBe(201);
    expect((await waitForTerminal(system, placed.body.orderId as string)).order.status).toBe('completed');
    await assertInvariants(system, [placed.body.orderId as string]);
    expect((await getStock(system))['prod-1']).toMatchObject({ restocked: 4, available: 1, reserved: 6 });
  });

  const bad: Array<[string, unknown, number, RegExp]> = [
    ['no quantity', { productId: 'prod-1' }, 400, /quantity must be an integer/],
    ['a zero quantity', { productId: 'prod-1', quantity: 0 }, 400, /quantity must not be less than 1/],
    ['a fractional quantity', { productId: 'prod-1', quantity: 1.5 }, 400, /quantity must be an integer/],
    ['an unknown field', { productId: 'prod-1', quantity: 1, price: 3 }, 400, /property price should not exist/],
    ['a restockId that is not a UUID', { productId: 'prod-1', quantity: 1, restockId: 'r-1' }, 400, /restockId must be a UUID/],
    ['a product not on the shelf', { productId: 'prod-9', quantity: 1 }, 404, /no product prod-9 on the shelf/],
  ];

  it.each(bad)('refuses %s, changing nothing', async (_what, body, status, message) => {
    const before = await getStock(system);
    const result = await restock(body);
    expect([result.status, JSON.stringify(result.body.message)]).toEqual([status, expect.stringMatching(message)]);
    expect(await getStock(system)).toEqual(before);
  });

  it('refuses a restock id used before for another restock', async () => {
    const restockId = randomUUID();
    expect((await restock({ productId: 'prod-2', quantity: 1, restockId })).status).toBe(201);
    const reused = await restock({ productId: 'prod-2', quantity: 2, restockId });
    expect([reused.status, reused.body.message]).toEqual([409, `restock ${restockId} was 1 of prod-2, not 2 of prod-2`]);
  });

  // A host with no address but loopback cannot make a remote client: the test is then skipped, and says so.
  const address = externalAddress();
  if (!address) console.warn('restock e2e: no non-loopback IPv4 address on this host, the remote-client test is skipped');
  (address ? it : it.skip)('without ADMIN_TOKEN, refuses a client that is not on the same host', async () => {
    const url = system.url('inventory-service', '/inventory/restock').replace('127.0.0.1', address!);
    const result = await postJson(url, { productId: 'prod-2', quantity: 1 });
    expect([result.status, result.body.message]).toEqual([403, expect.stringMatching(/only a client on the service's own host/)]);
  });

  it('with ADMIN_TOKEN, takes a restock only with that bearer token, from any host', async () => {
    const token = randomUUID();
    await system.stopService('inventory-service');
    await system.startService('inventory-service', { env: { ADMIN_TOKEN: token } });
    const body = { productId: 'prod-2', quantity: 1 };
    const wrong: Array<Record<string, string>> = [{}, { authorization: `Bearer ${randomUUID()}` }, { authorization: token }];
    for (const headers of wrong) {
      const refused = await restock(body, headers);
      expect([refused.status, refused.body.message]).toEqual([401, expect.stringMatching(/send the service's ADMIN_TOKEN/)]);
    }
    expect((await restock(body, { authorization: `Bearer ${token}` })).status).toBe(201);
    const listed = await request(system.url('inventory-service', '/inventory'));
    expect(listed.body.products.find((p: { productId: string }) => p.productId === 'prod-2')).toMatchObject({ restocked: 2 });
  });
});
