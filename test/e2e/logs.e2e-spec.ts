import { eventually, ORDER, placeOrder, waitForTerminal } from './support/http.js';
import { SagaSystem, SERVICE_NAMES, type ServiceName } from './support/saga-system.js';

type LogLine = Record<string, unknown> & { level: string; time: string; service: string; msg: string };

/**
 * LOG_FORMAT=json: every line each service writes is one JSON object (pino through
 * nestjs-pino) with its service, level and time; saga work carries the order id, the
 * event id and type; HTTP requests leave an access line with method, route, status and duration.
 */
describe('structured logs', () => {
  let system: SagaSystem;
  let orderId: string;
  const linesOf = (service: ServiceName): LogLine[] =>
    system
      .log(service)
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as LogLine);

  beforeAll(async () => {
    system = await SagaSystem.start({
      env: { LOG_FORMAT: 'json', LOG_LEVEL: 'debug', PAYMENT_FAILURE_RATE: '0', INVENTORY_FAILURE_RATE: '0' },
    });
    orderId = await placeOrder(system, ORDER);
    await waitForTerminal(system, orderId);
  });
  afterAll(() => system?.stop());

  it('writes one JSON object per line, each with its service, level and time', () => {
    for (const service of SERVICE_NAMES) {
      const lines = linesOf(service); // throws on a line that is not JSON
      expect(lines.length).toBeGreaterThan(3);
      for (const line of lines) {
        expect(line).toMatchObject({
          service,
          level: expect.stringMatching(/^(trace|debug|info|warn|error|fatal)$/),
          msg: expect.any(String),
        });
        expect(Number.isNaN(Date.parse(line.time))).toBe(false);
      }
    }
  });

  it('binds the order id, event id and type to the lines of saga work, so an order can be followed through the services', async () => {
    // Analytics reads the order's last event (OrderCompleted) after order-service wrote it.
    await eventually(
      () => Promise.resolve(linesOf('analytics-service')),
      (lines) => lines.some((line) => line.orderId === orderId && line.eventType === 'OrderCompleted'),
      10_000,
      "analytics' line for OrderCompleted",
    );
    const payment = linesOf('payment-service').filter((line) => line.orderId === orderId);
    expect(payment).toContainEqual(
      expect.objectContaining({ eventType: 'OrderCreated', eventId: expect.any(String), msg: 'OrderCreated applied', level: 'debug' }),
    );
    const everywhere = SERVICE_NAMES.flatMap((service) => linesOf(service).filter((line) => line.orderId === orderId));
    expect(new Set(everywhere.map((line) => line.service))).toEqual(new Set(SERVICE_NAMES));
    expect(new Set(everywhere.map((line) => line.eventType))).toEqual(
      new Set(['OrderCreated', 'PaymentCompleted', 'InventoryReserved', 'OrderCompleted']),
    );
  });

  it('leaves an access line for each request, with method, route, status and duration', () => {
    const access = linesOf('order-service').find((line) => typeof line.msg === 'string' && line.msg.startsWith('POST /orders '));
    expect(access).toMatchObject({
      level: 'info',
      msg: expect.stringMatching(/^POST \/orders 201 \d+ ms$/),
      route: '/orders',
      req: { method: 'POST', url: '/orders' },
      res: { statusCode: 201 },
      responseTime: expect.any(Number),
    });
  });
});
