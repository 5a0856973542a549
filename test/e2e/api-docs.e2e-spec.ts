import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import SwaggerParser from '@apidevtools/swagger-parser';
import { Ajv } from 'ajv';
import { getOrder, ORDER, placeOrder, request, waitForTerminal } from './support/http.js';
import { SagaSystem, SERVICE_NAMES, type ServiceName } from './support/saga-system.js';

const README = join(resolve(import.meta.dirname, '..', '..'), 'README.md');

type OpenApi = {
  openapi: string;
  info: { title: string };
  paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema?: object }> }> }>>;
  components: { schemas: Record<string, object> };
};

/** `GET /orders/:id` → `GET /orders/{id}`; a query string is left out. */
function endpoint(method: string, path: string): string {
  return `${method.toUpperCase()} ${path.split('?')[0].replace(/:(\w+)/g, '{$1}')}`;
}

/** The endpoints the README's API table names (first column: "`GET /health` or `/health/ready`"). */
function readmeEndpoints(): string[] {
  const section = readFileSync(README, 'utf8').split('### The API')[1];
  return section
    .slice(section.indexOf('\n|'))
    .split('\n\n')[0]
    .trim()
    .split('\n')
    .slice(2) // the header and its rule
    .flatMap((row) => {
      const cell = row.split(' | ')[0];
      const [first, ...others] = [...cell.matchAll(/`([^`]+)`/g)].map((match) => match[1]);
      const [method, path] = first.split(' ');
      // "`GET /docs`, `GET /docs-json`" names its method each time; "`GET /health` or `/health/ready`" once.
      return [
        endpoint(method, path),
        ...others.map((other) => (other.includes(' ') ? endpoint(...(other.split(' ') as [string, string])) : endpoint(method, other))),
      ];
    })
    .filter((name) => !['GET /docs', 'GET /docs-json'].includes(name)); // the description itself
}

/**
 * Every service describes its HTTP API with OpenAPI (@nestjs/swagger): the UI at
 * /docs with its assets served by the service, the JSON at /docs-json. The README's
 * table and the real answers agree with it.
 */
describe('the OpenAPI description of every service', () => {
  let system: SagaSystem;
  const documents = new Map<ServiceName, OpenApi>();
  let orderId: string;

  beforeAll(async () => {
    system = await SagaSystem.start({ env: { PAYMENT_FAILURE_RATE: '0', INVENTORY_FAILURE_RATE: '0' } });
    for (const service of SERVICE_NAMES) documents.set(service, (await request<OpenApi>(system.url(service, '/docs-json'))).body);
    orderId = await placeOrder(system, ORDER);
    await waitForTerminal(system, orderId);
  });
  afterAll(() => system?.stop());

  it('is a valid OpenAPI 3 document for each service', async () => {
    for (const [service, document] of documents) {
      expect(document).toMatchObject({ openapi: expect.stringMatching(/^3\./), info: { title: service } });
      await expect(SwaggerParser.validate(structuredClone(document) as never)).resolves.toBeDefined();
    }
  });

  it('serves its UI from the service itself: no CDN', async () => {
    for (const service of SERVICE_NAMES) {
      const page = await request<string>(system.url(service, '/docs'));
      expect(page.status).toBe(200);
      const references = [...page.body.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1]);
      expect(references.length).toBeGreaterThan(0);
      for (const reference of references) {
        expect(reference).not.toMatch(/^(https?:)?\/\//);
        const asset = await request(new URL(reference, system.url(service, '/docs')).href);
        expect({ reference, status: asset.status }).toEqual({ reference, status: 200 });
      }
    }
  });

  it('names the same endpoints as the README', () => {
    const documented = [...documents.values()].flatMap((document) =>
      Object.entries(document.paths).flatMap(([path, operations]) => Object.keys(operations).map((method) => endpoint(method, path))),
    );
    expect([...new Set(documented)].sort()).toEqual([...new Set(readmeEndpoints())].sort());
  });

  it('documents the constraints of POST /orders, and each answer matches its schema', async () => {
    const orders = documents.get('order-service')!;
    expect(orders.components.schemas.OrderItemDto).toMatchObject({
      properties: { quantity: { minimum: 1, maximum: 1000 }, price: { maximum: 1_000_000 } },
      required: expect.arrayContaining(['productId', 'quantity', 'price']),
    });
    expect(orders.components.schemas.CreateOrderDto).toMatchObject({
      properties: { items: { minItems: 1, maxItems: 100 } },
      additionalProperties: false, // the ValidationPipe refuses unknown fields
    });
    expect(orders.components.schemas.OrderItemDto).toMatchObject({ additionalProperties: false });

    const answers: Array<[ServiceName, string, string]> = [
      ['order-service', '/orders/{id}', `/orders/${orderId}`],
      ['order-service', '/orders', '/orders?limit=5'],
      ['payment-service', '/payments/{orderId}', `/payments/${orderId}`],
      ['inventory-service', '/inventory', '/inventory'],
      ['inventory-service', '/inventory/reservations/{orderId}', `/inventory/reservations/${orderId}`],
      ['analytics-service', '/analytics', '/analytics'],
    ];
    for (const [service, path, url] of answers) {
      const document = documents.get(service)!;
      // nullable is OpenAPI's; formats and examples are documentation here.
      const ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true });
      // Every object documented field by field: an answer with a field the schema does not name fails.
      const closed = Object.fromEntries(
        Object.entries(document.components.schemas).map(([name, schema]) => [
          name,
          'properties' in schema ? { additionalProperties: false, ...schema } : schema,
        ]),
      );
      ajv.addSchema({ $id: 'api', components: { schemas: closed } });
      const schema = JSON.parse(
        JSON.stringify(document.paths[path].get.responses['200'].content!['application/json'].schema).replaceAll(
          '"#/components',
          '"api#/components',
        ),
      ) as object;
      const validate = ajv.compile(schema);
      const answer = await request(system.url(service, url));
      validate(answer.body);
      expect({ path, errors: validate.errors ?? [] }).toEqual({ path, errors: [] });
    }
    expect((await getOrder(system, orderId)).status).toBe('completed');
  });
});
