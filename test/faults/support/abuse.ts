import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { request as httpRequest, Agent } from 'node:http';
import { runCommand } from '../../e2e/support/run-command.js';
import { QUICK } from './scenario.js';
import { type SagaSystem, type ServiceName } from '../../e2e/support/saga-system.js';

/** One endpoint of the services' HTTP APIs, as its route is written. */
export interface Endpoint {
  readonly service: ServiceName;
  readonly method: 'GET' | 'POST';
  readonly route: string;
  /** Server-sent events: read the status, then hang up. */
  readonly stream?: boolean;
}

export const ENDPOINTS: Endpoint[] = [
  { service: 'order-service', method: 'POST', route: '/orders' },
  { service: 'order-service', method: 'GET', route: '/orders' },
  { service: 'order-service', method: 'GET', route: '/orders/:id' },
  { service: 'order-service', method: 'GET', route: '/health' },
  { service: 'payment-service', method: 'GET', route: '/payments/:orderId' },
  { service: 'payment-service', method: 'GET', route: '/health' },
  { service: 'inventory-service', method: 'GET', route: '/inventory' },
  { service: 'inventory-service', method: 'GET', route: '/inventory/reservations/:orderId' },
  { service: 'inventory-service', method: 'GET', route: '/health' },
  { service: 'analytics-service', method: 'GET', route: '/analytics' },
  { service: 'analytics-service', method: 'GET', route: '/analytics/stream', stream: true },
  { service: 'analytics-service', method: 'GET', route: '/' },
  { service: 'analytics-service', method: 'GET', route: '/assets/:file' },
  { service: 'analytics-service', method: 'GET', route: '/health' },
];

export interface AbuseRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body?: Buffer;
  readonly what: string;
}

export interface AbuseReport {
  readonly endpoint: string;
  readonly sent: number;
  readonly statuses: Record<string, number>;
  /** Requests answered 5xx, with what they were. */
  readonly serverErrors: string[];
  /** POST /orders requests that made an order (2xx): each one changed the state. */
  readonly accepted: string[];
  /** No HTTP answer at all (the connection was closed without one). */
  readonly unanswered: string[];
}

const agent = new Agent({ keepAlive: true, maxSockets: 8 });

const HOSTILE_IDS = [
  'not-a-uuid',
  "1' OR '1'='1",
  '1;DROP TABLE orders;--',
  '../../../../etc/passwd',
  '..%2F..%2F..%2Fetc%2Fpasswd',
  '%00',
  '%ZZ',
  '%',
  '%E0%A4%A',
  'x'.repeat(5000),
  '00000000-0000-0000-0000-000000000000',
  '6F0C1C1E-0000-4000-8000-00000000000G',
  '{"$ne":null}',
  '%7B%22%24gt%22%3A%22%22%7D',
  '<script>alert(1)</script>',
  '%3Cscript%3E',
  '__proto__',
  'constructor',
  'prototype',
  '%F0%9F%92%A9',
  '%C0%AE%C0%AE%2F',
  'null',
  'undefined',
  'NaN',
  '-1',
  '1e309',
  '0x10',
  ' ',
  '%20',
  '%0d%0aSet-Cookie:%20x=1',
];

const HOSTILE_QUERIES = [
  'limit=-1',
  'limit=0',
  'limit=101',
  'limit=abc',
  'limit=1e400',
  'limit=1.5',
  'limit=99999999999999999999',
  'offset=-5',
  'offset=NaN',
  'offset=1e400',
  'status=DROP%20TABLE%20orders',
  "status=pending'--",
  'status[]=pending&status[]=completed',
  'status[$ne]=x',
  '__proto__[polluted]=1',
  'constructor[prototype][polluted]=1',
  'limit=10&limit=20',
  'limit[]=5',
  `status=${'a'.repeat(8000)}`,
  'status=%00',
  'status=%ZZ',
  '%=%',
  'a=%E0%A4%A',
  'offset=%20',
  'unknown=1',
];

/** Bodies that POST /orders must refuse: invalid JSON, wrong shapes, hostile values. */
function hostileOrderBodies(): Array<{ what: string; body: Buffer; contentType?: string; extraHeaders?: Record<string, string> }> {
  const item = { productId: 'prod-1', quantity: 1, price: 10 };
  const json = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));
  const deep = '['.repeat(20_000) + ']'.repeat(20_000);
  const bodies: Array<{ what: string; body: Buffer; contentType?: string; extraHeaders?: Record<string, string> }> = [
    { what: 'empty body', body: Buffer.alloc(0) },
    { what: 'invalid JSON', body: json('{"userId": "u", "items": [') },
    { what: 'trailing garbage', body: json('{"userId":"u","items":[]}xyz') },
    { what: 'not UTF-8', body: Buffer.from([0xff, 0xfe, 0x7b, 0x00, 0xc3, 0x28]) },
    { what: 'JSON null', body: json('null') },
    { what: 'JSON array', body: json([item]) },
    { what: 'JSON string', body: json('"order"') },
    { what: 'JSON number', body: json('42') },
    { what: 'deep nesting', body: json(deep) },
    { what: 'no items', body: json({ userId: 'u' }) },
    { what: 'empty items', body: json({ userId: 'u', items: [] }) },
    { what: 'no user', body: json({ items: [item] }) },
    { what: 'empty user', body: json({ userId: '', items: [item] }) },
    { what: 'long user', body: json({ userId: 'u'.repeat(101), items: [item] }) },
    { what: 'user object', body: json({ userId: { $ne: null }, items: [item] }) },
    { what: 'negative quantity', body: json({ userId: 'u', items: [{ ...item, quantity: -1 }] }) },
    { what: 'zero quantity', body: json({ userId: 'u', items: [{ ...item, quantity: 0 }] }) },
    { what: 'fractional quantity', body: json({ userId: 'u', items: [{ ...item, quantity: 1.5 }] }) },
    { what: 'huge quantity', body: json({ userId: 'u', items: [{ ...item, quantity: 1e12 }] }) },
    { what: 'quantity string', body: json({ userId: 'u', items: [{ ...item, quantity: '1' }] }) },
    { what: 'quantity NaN text', body: json('{"userId":"u","items":[{"productId":"prod-1","quantity":NaN,"price":1}]}') },
    { what: 'price 3 decimals', body: json({ userId: 'u', items: [{ ...item, price: 1.001 }] }) },
    { what: 'negative price', body: json({ userId: 'u', items: [{ ...item, price: -10 }] }) },
    { what: 'zero price', body: json({ userId: 'u', items: [{ ...item, price: 0 }] }) },
    { what: 'price too big', body: json({ userId: 'u', items: [{ ...item, price: 1e300 }] }) },
    { what: 'price string', body: json({ userId: 'u', items: [{ ...item, price: '10' }] }) },
    { what: 'wrong total', body: json({ userId: 'u', items: [item], total: 11 }) },
    { what: 'negative total', body: json({ userId: 'u', items: [item], total: -10 }) },
    { what: 'bad product id', body: json({ userId: 'u', items: [{ ...item, productId: '../etc/passwd' }] }) },
    { what: 'SQL product id', body: json({ userId: 'u', items: [{ ...item, productId: "prod-1' OR 1=1--" }] }) },
    { what: 'long product id', body: json({ userId: 'u', items: [{ ...item, productId: 'p'.repeat(65) }] }) },
    { what: 'item not object', body: json({ userId: 'u', items: ['prod-1'] }) },
    { what: 'item null', body: json({ userId: 'u', items: [null] }) },
    { what: 'items object', body: json({ userId: 'u', items: { 0: item } }) },
    { what: 'too many items', body: json({ userId: 'u', items: Array.from({ length: 101 }, () => item) }) },
    { what: 'unknown field', body: json({ userId: 'u', items: [item], admin: true }) },
    { what: 'unknown item field', body: json({ userId: 'u', items: [{ ...item, discount: 100 }] }) },
    { what: 'status injected', body: json({ userId: 'u', items: [item], status: 'completed' }) },
    { what: 'id injected', body: json({ userId: 'u', items: [item], orderId: randomUUID(), id: randomUUID() }) },
    { what: '__proto__', body: json('{"userId":"u","items":[{"productId":"prod-1","quantity":1,"price":10}],"__proto__":{"admin":true}}') },
    { what: 'constructor.prototype', body: json({ userId: 'u', items: [item], constructor: { prototype: { admin: true } } }) },
    { what: 'body over 64 kB', body: json({ userId: 'u', items: [item], pad: 'x'.repeat(70_000) }) },
    { what: 'body of 1 MB', body: Buffer.alloc(1024 * 1024, 0x20) },
    { what: 'text/plain', body: json({ userId: 'u', items: [{ ...item, quantity: -1 }] }), contentType: 'text/plain' },
    { what: 'form', body: Buffer.from('userId=u&items[0][productId]=prod-1'), contentType: 'application/x-www-form-urlencoded' },
    {
      what: 'multipart',
      body: Buffer.from('--b\r\nContent-Disposition: form-data; name="userId"\r\n\r\nu\r\n--b--'),
      contentType: 'multipart/form-data; boundary=b',
    },
    {
      what: 'utf-7 charset',
      body: json({ userId: 'u', items: [{ ...item, quantity: 0 }] }),
      contentType: 'application/json; charset=utf-7',
    },
    { what: 'gzip garbage', body: Buffer.from('not gzip at all'), extraHeaders: { 'content-encoding': 'gzip' } },
    { what: 'unknown encoding', body: json({ userId: 'u', items: [item] }), extraHeaders: { 'content-encoding': 'br2' } },
    { what: 'bad idempotency key', body: json({ userId: 'u', items: [item] }), extraHeaders: { 'idempotency-key': 'k'.repeat(256) } },
    { what: 'idempotency key with space', body: json({ userId: 'u', items: [item] }), extraHeaders: { 'idempotency-key': 'a b' } },
    { what: 'idempotency key latin-1', body: json({ userId: 'u', items: [item] }), extraHeaders: { 'idempotency-key': 'cl\u00e9' } },
    { what: 'null byte string', body: json({ userId: 'u\u0000', items: [{ ...item, productId: 'prod-1\u0000' }] }) },
  ];
  return bodies;
}

/** Hostile variations for one endpoint: at least `count`, cycling through every family. */
export function hostileRequests(endpoint: Endpoint, count: number): AbuseRequest[] {
  const requests: AbuseRequest[] = [];
  const base = endpoint.route;
  const withParam = (value: string) => base.replace(/:[a-zA-Z]+/, value);
  const families: Array<(i: number) => AbuseRequest> = [];
  if (base.includes(':')) {
    families.push((i) => ({
      method: endpoint.method,
      path: withParam(HOSTILE_IDS[i % HOSTILE_IDS.length]),
      headers: {},
      what: 'hostile id',
    }));
    families.push((i) => ({
      method: endpoint.method,
      path: withParam(randomUUID()) + (i % 2 ? '/' : '/extra'),
      headers: {},
      what: 'extra segment',
    }));
  }
  if (endpoint.method === 'GET') {
    families.push((i) => ({
      method: 'GET',
      path: `${withParam(i % 3 === 0 ? randomUUID() : 'x')}?${HOSTILE_QUERIES[i % HOSTILE_QUERIES.length]}`,
      headers: {},
      what: 'hostile query',
    }));
    families.push((i) => ({
      method: 'GET',
      path: withParam(randomUUID()),
      headers: { 'content-type': 'application/json' },
      body: Buffer.from(i % 2 ? '{"limit": 1000}' : 'garbage'),
      what: 'GET with a body',
    }));
    // Methods the route does not have: never a write.
    families.push((i) => ({
      method: ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE'][i % 6],
      path: withParam(randomUUID()),
      headers: { 'content-type': 'application/json' },
      body: Buffer.from(JSON.stringify({ status: 'completed', items: [] })),
      what: 'wrong method',
    }));
  } else {
    const bodies = hostileOrderBodies();
    families.push((i) => {
      const { what, body, contentType, extraHeaders } = bodies[i % bodies.length];
      return { method: 'POST', path: base, headers: { 'content-type': contentType ?? 'application/json', ...extraHeaders }, body, what };
    });
    families.push((i) => ({
      method: ['PUT', 'DELETE', 'PATCH'][i % 3],
      path: base,
      headers: { 'content-type': 'application/json' },
      body: Buffer.from(JSON.stringify({ userId: 'u', items: [{ productId: 'prod-1', quantity: 1, price: 10 }] })),
      what: 'wrong method',
    }));
  }
  // Headers: huge, odd content types and accepts; every endpoint.
  families.push((i) => ({
    method: endpoint.method,
    path: withParam(randomUUID()),
    headers: (
      [
        { 'x-padding': 'x'.repeat(20_000) },
        { accept: 'application/xml' },
        { 'content-type': 'application/json', 'content-length': '0' },
        { range: 'bytes=99999999-' },
        { 'if-none-match': '*' },
        { host: 'evil.example' },
        { 'x-forwarded-for': '127.0.0.1, ::1, <script>' },
        { 'transfer-encoding': 'chunked' },
      ] as Array<Record<string, string>>
    )[i % 8],
    body: endpoint.method === 'POST' ? Buffer.from('{"userId":"u","items":[{"productId":"prod-1","quantity":0,"price":1}]}') : undefined,
    what: 'odd headers',
  }));
  for (let i = 0; requests.length < count; i++) requests.push(families[i % families.length](Math.floor(i / families.length)));
  return requests;
}

/** Sends `count` hostile requests to every endpoint, `concurrency` at a time per endpoint. */
export async function abuse(system: SagaSystem, count: number, concurrency = 8): Promise<AbuseReport[]> {
  const reports: AbuseReport[] = [];
  for (const endpoint of ENDPOINTS) {
    const requests = hostileRequests(endpoint, count);
    const report: AbuseReport = {
      endpoint: `${endpoint.method} ${endpoint.route} (${endpoint.service})`,
      sent: 0,
      statuses: {},
      serverErrors: [],
      accepted: [],
      unanswered: [],
    };
    let next = 0;
    const worker = async () => {
      while (next < requests.length) {
        const abusive = requests[next++];
        const status = await send(system.url(endpoint.service), abusive, endpoint.stream ?? false);
        (report as { sent: number }).sent++;
        report.statuses[status] = (report.statuses[status] ?? 0) + 1;
        const label = `${abusive.what}: ${abusive.method} ${abusive.path.replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, '<uuid>').slice(0, 80)}`;
        if (status.startsWith('none')) report.unanswered.push(`${label} ${status.slice('none '.length)}`);
        else if (Number(status) >= 500) report.serverErrors.push(`${status} ${label}`);
        else if (endpoint.method === 'POST' && Number(status) < 300 && abusive.method === 'POST')
          report.accepted.push(`${status} ${label}`);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    reports.push(report);
  }
  return reports;
}

/**
 * Sends one request; resolves to its status, or to 'none (why)' when the server hung up without an
 * answer (with why: the error's code, or 'timeout'). A request written to a kept-alive connection
 * that the server was closing meanwhile (idle, or done with the previous request) fails before the
 * server read it: ECONNRESET on a reused socket, the race Node's documentation of `reusedSocket`
 * describes. It is sent once more on a connection of its own, so only a hang-up on the request itself counts.
 */
function send(origin: string, abusive: AbuseRequest, stream: boolean, fresh = false): Promise<string> {
  return new Promise((done) => {
    let req: ReturnType<typeof httpRequest>;
    try {
      req = httpRequest(`${origin}${abusive.path}`, {
        method: abusive.method,
        agent: fresh ? false : agent,
        timeout: 15_000,
        headers: {
          ...abusive.headers,
          ...(abusive.body && !abusive.headers['content-length'] && { 'content-length': abusive.body.length }),
        },
        insecureHTTPParser: true,
      });
    } catch {
      // Node's client refuses to send it (e.g. a character a URL may not hold): send it escaped instead.
      done(send(origin, { ...abusive, path: encodeURI(abusive.path) }, stream, fresh));
      return;
    }
    req.on('response', (res) => {
      const status = String(res.statusCode);
      if (stream) {
        res.destroy();
        done(status);
        return;
      }
      res.resume();
      res.on('end', () => done(status));
      res.on('error', () => done(status));
      res.on('close', () => done(status));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (req.reusedSocket && error.code === 'ECONNRESET' && !fresh) done(send(origin, abusive, stream, true));
      else done(`none (${error.code ?? error.message})`);
    });
    if (abusive.headers['transfer-encoding'] === 'chunked' && abusive.body) req.write(abusive.body);
    else if (abusive.body && abusive.headers['content-length'] !== '0') req.write(abusive.body);
    req.end();
  });
}

/** Where an OpenAPI document could be served (Nest's @nestjs/swagger: /api-json by default). */
const OPENAPI_PATHS = ['/api-json', '/openapi.json', '/api/openapi.json', '/docs-json', '/swagger.json', '/v3/api-docs'];

/** Examples schemathesis makes per operation and phase: 50, 20 in the quick run (CI), where it is the longest part of the longest scenario. */
const SCHEMATHESIS_EXAMPLES = QUICK ? 20 : 50;

/** schemathesis's command once installed, or why it could not be; `installSchemathesis` fills it once per process. */
let installing: Promise<{ command?: string; skipped?: string }> | undefined;

/**
 * Installs schemathesis 4.32.5 from PyPI into a venv under .data/ unless it is there. Scenario 6
 * starts it first, so that the install (a minute on a fresh clone) runs while its load does;
 * not spawnSync: the quick run's other scenarios share this process, and their loads would stop.
 */
export function installSchemathesis(root: string): Promise<{ command?: string; skipped?: string }> {
  installing ??= (async () => {
    const venv = `${root}/.data/schemathesis-venv`;
    const command = `${venv}/bin/schemathesis`;
    if (existsSync(command)) return { command };
    const made = await runCommand('python3', ['-m', 'venv', venv]);
    const installed = made.code === 0 && (await runCommand(`${venv}/bin/pip`, ['install', '-q', 'schemathesis==4.32.5']));
    if (!installed || installed.code !== 0)
      return { skipped: `could not install schemathesis: ${installed ? installed.output : made.output}` };
    return { command };
  })().catch((error: Error) => ({ skipped: `could not install schemathesis: ${error.message}` }));
  return installing;
}

/**
 * Runs schemathesis against every service's OpenAPI document, the services at once, checking
 * that nothing answers 5xx. Resolves to what it did: the documents' failures, or why it skipped.
 */
export async function runSchemathesis(system: SagaSystem, root: string): Promise<{ skipped?: string; failures: string[] }> {
  const documents: string[] = [];
  for (const service of new Set(ENDPOINTS.map((endpoint) => endpoint.service))) {
    for (const path of OPENAPI_PATHS) {
      const response = await fetch(system.url(service, path)).catch(() => null);
      const body = response?.ok ? await response.text() : '';
      if (/"openapi"\s*:|"swagger"\s*:/.test(body)) documents.push(system.url(service, path));
    }
  }
  if (documents.length === 0) return { skipped: `no OpenAPI document at ${OPENAPI_PATHS.join(', ')} of any service`, failures: [] };
  const { command, skipped } = await installSchemathesis(root);
  if (!command) return { skipped, failures: [] };
  const runs = await Promise.all(
    documents.map(async (document) => ({
      document,
      run: await runCommand(command, ['run', document, '--checks', 'not_a_server_error', '--max-examples', String(SCHEMATHESIS_EXAMPLES)]),
    })),
  );
  const failures = runs
    .filter(({ run }) => run.code !== 0)
    .map(({ document, run }) => `${document}: schemathesis exit ${run.code}\n${run.output.slice(-2000)}`);
  return { failures };
}
