import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { SagaSystem, sleep } from './support/saga-system.js';
import { eventually, getAnalytics, ORDER, placeOrder, request, waitForTerminal } from './support/http.js';

// The functions given to page.evaluate/waitForFunction run in the page; tsconfig has no DOM types.
declare const window: { dashboard: any; noReloadMarker?: boolean };
declare const document: any;

/** Debian's package (`apt-get install chromium`), driven by playwright-core: no browser download. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
const HAVE_CHROMIUM = existsSync(CHROMIUM);
const NO_CHROMIUM = `${CHROMIUM} not found: install Debian's "chromium" package (apt-get install chromium; .ci/run does)`;
if (!HAVE_CHROMIUM) console.warn(`dashboard browser tests SKIPPED: ${NO_CHROMIUM}`);

/** The tiles the page shows, by their data-metric path, and how the page formats them. */
const TILES = {
  orderCount: 'count',
  successRate: 'percent',
  totalRevenue: 'money',
  netRevenue: 'money',
  ordersInFlight: 'count',
  ordersLastMinute: 'count',
  'sagaDurationMs.p95': 'ms',
  lateEventsDropped: 'count',
} as const;

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const oneDecimal = new Intl.NumberFormat('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 });
const money = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' });

/** What a person should read on a tile for this value ("–" for a missing one). */
function shown(kind: string, value: unknown): string {
  if (typeof value !== 'number' || !Number.isFinite(value)) return '–';
  if (kind === 'percent') return `${oneDecimal.format(value)}%`;
  if (kind === 'money') return money.format(value);
  if (kind === 'ms') return `${integer.format(value)} ms`;
  return integer.format(value);
}

const pick = (report: any, path: string) =>
  path.split('.').reduce((value, key) => (value != null && typeof value === 'object' ? value[key] : undefined), report);

interface PageState {
  snapshot: any;
  tiles: Record<string, { text: string; value: string | undefined }>;
  catchingUpHidden: boolean;
  ordersPerMinute: unknown[];
  successRate: unknown[];
  revenue: unknown[];
  sagaLatency: unknown[];
  updates: number;
}

/** The tiles and the charts' data, read from the page in one go. */
function readPage(page: Page): Promise<PageState> {
  return page.evaluate(() => {
    const { charts, lastSnapshot, updates } = window.dashboard;
    const latest = (chart: any) =>
      chart.data.datasets.map((dataset: any) => (dataset.data.length ? dataset.data[dataset.data.length - 1].y : undefined));
    const tiles: Record<string, { text: string; value: string | undefined }> = {};
    for (const tile of document.querySelectorAll('.tile[data-metric]')) {
      tiles[tile.dataset.metric] = { text: tile.querySelector('dd').textContent.trim(), value: tile.dataset.value };
    }
    return {
      snapshot: lastSnapshot,
      tiles,
      catchingUpHidden: document.querySelector('[data-metric="catchingUp"]').hidden,
      ordersPerMinute: [...charts.ordersPerMinute.data.datasets[0].data],
      successRate: latest(charts.successRate),
      revenue: latest(charts.revenue),
      sagaLatency: latest(charts.sagaLatency),
      updates,
    };
  });
}

/** What the page should show for this GET /analytics answer (missing fields as the page shows them). */
function expectedState(report: any) {
  const latency = report.sagaDurationMs ?? {};
  const orNull = (value: unknown) => (typeof value === 'number' ? value : null);
  return {
    tiles: Object.fromEntries(
      Object.entries(TILES).map(([path, kind]) => [
        path,
        { text: shown(kind, pick(report, path)), value: JSON.stringify(pick(report, path) ?? null) },
      ]),
    ),
    catchingUpHidden: report.catchingUp !== true,
    ordersPerMinute: report.ordersPerMinute,
    successRate: [report.successRate],
    revenue: [report.totalRevenue, orNull(report.netRevenue)],
    sagaLatency: [orNull(latency.p50), orNull(latency.p95), orNull(latency.p99)],
  };
}

/**
 * Reads the page and GET /analytics until they agree: the page lags the service by
 * at most one event, and time-based figures (the minute buckets) move on their own.
 * Fails with a diff of what still differs after `timeoutMs`.
 */
async function pageMatchesService(system: SagaSystem, page: Page, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const before = await getAnalytics(system);
    const seen = await readPage(page);
    const after = await getAnalytics(system);
    const report = [before, after].find((candidate) => matches(project(seen), expectedState(candidate)));
    if (report) return { seen, report };
    if (Date.now() > deadline) {
      expect(project(seen)).toEqual(expectedState(after));
      throw new Error('the dashboard never showed what GET /analytics says');
    }
    await sleep(50);
  }
}

const project = ({ tiles, catchingUpHidden, ordersPerMinute, successRate, revenue, sagaLatency }: PageState) => ({
  tiles,
  catchingUpHidden,
  ordersPerMinute,
  successRate,
  revenue,
  sagaLatency,
});

function matches(actual: unknown, expected: unknown): boolean {
  try {
    expect(actual).toEqual(expected);
    return true;
  } catch {
    return false;
  }
}

describe('dashboard', () => {
  let system: SagaSystem;

  beforeAll(async () => {
    system = await SagaSystem.start({ env: { PAYMENT_FAILURE_RATE: '0', INVENTORY_FAILURE_RATE: '0' } });
  });
  afterAll(() => system?.stop());

  it('serves the page, its own files and Chart.js from the analytics service', async () => {
    const page = await request(system.url('analytics-service', '/'));
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
    expect(page.body).toContain('assets/chart.umd.min.js');

    const chartJs = await request(system.url('analytics-service', '/assets/chart.umd.min.js'));
    expect(chartJs.status).toBe(200);
    expect(chartJs.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(chartJs.body).toMatch(/Chart\.js v4\./);

    for (const file of ['dashboard.js', 'dashboard.css', 'favicon.svg']) {
      expect((await request(system.url('analytics-service', `/assets/${file}`))).status).toBe(200);
    }
    for (const path of ['/assets/nope.js', '/assets/..%2Fpackage.json', '/assets/index.html']) {
      expect((await request(system.url('analytics-service', path))).status).toBe(404);
    }
  });

  (HAVE_CHROMIUM ? describe : describe.skip)('in Chromium', () => {
    let browser: Browser;
    let page: Page;
    let origin: string;
    const requests: Array<{ url: string; type: string }> = [];
    const problems: string[] = [];

    beforeAll(async () => {
      origin = new URL(system.url('analytics-service')).origin;
      browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
      page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
      page.on('request', (r) => requests.push({ url: r.url(), type: r.resourceType() }));
      page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
      page.on('console', (message) => {
        if (message.type() === 'error' || message.type() === 'warning') problems.push(`console ${message.type()}: ${message.text()}`);
      });
    });
    afterAll(() => browser?.close());

    it('shows the same figures as GET /analytics, in the tiles and in the charts', async () => {
      // Three orders complete (3 × 50); one for an unknown product is paid (5), cancelled and refunded.
      const orders = [ORDER, ORDER, ORDER, { userId: 'user-123', items: [{ productId: 'prod-404', quantity: 1, price: 5 }] }];
      const ids = await Promise.all(orders.map((order) => placeOrder(system, order)));
      for (const id of ids) await waitForTerminal(system, id);
      const settled = await eventually(
        () => getAnalytics(system),
        (a) => a.orderCount === 4 && a.ordersInFlight === 0 && a.refunds === 1,
        20_000,
        'analytics to count the four orders and the refund',
      );
      expect(settled).toMatchObject({
        orderCount: 4,
        successfulOrders: 3,
        failedOrders: 1,
        successRate: 75,
        totalRevenue: 155,
        netRevenue: 150,
      });

      await page.goto(system.url('analytics-service', '/'));
      await page.waitForFunction(() => document.querySelector('[data-metric="orderCount"] dd').textContent === '4', undefined, {
        timeout: 20_000,
      });
      expect(await page.title()).toMatch(/analytics/i);
      expect(await page.locator('h1').textContent()).toMatch(/analytics/i);

      const { seen, report } = await pageMatchesService(system, page);
      // The same figures, as a person reads them.
      expect(seen.tiles.orderCount.text).toBe('4');
      expect(seen.tiles.successRate.text).toBe('75.0%');
      expect(seen.tiles.totalRevenue.text).toBe('$155.00');
      expect(seen.tiles.netRevenue.text).toBe('$150.00');
      // The orders-per-minute bars are the service's 60 minutes, which hold the four orders.
      expect(seen.ordersPerMinute).toEqual(report.ordersPerMinute);
      expect(seen.ordersPerMinute).toHaveLength(60);
      expect((seen.ordersPerMinute as number[]).reduce((sum, n) => sum + n, 0)).toBe(4);
      // The newest points of the trend charts are the current figures.
      expect(seen.successRate).toEqual([report.successRate]);
      expect(seen.revenue[0]).toBe(report.totalRevenue);
      expect(await page.locator('#connection').getAttribute('data-state')).toBe('live');
    });

    it('updates live, without a reload, when another order goes through', async () => {
      await page.evaluate(() => {
        window.noReloadMarker = true;
      });
      const updatesBefore = (await readPage(page)).updates;

      const id = await placeOrder(system, ORDER);
      await waitForTerminal(system, id);
      // Analytics reads order.created and order.completed as two topics: the order may be counted before its outcome.
      await eventually(
        () => getAnalytics(system),
        (a) => a.orderCount === 5 && a.successfulOrders === 4,
        20_000,
        'analytics to count the fifth order and its completion',
      );
      await page.waitForFunction(() => document.querySelector('[data-metric="orderCount"] dd').textContent === '5', undefined, {
        timeout: 20_000,
      });

      const { seen, report } = await pageMatchesService(system, page);
      expect(report).toMatchObject({ orderCount: 5, successfulOrders: 4, totalRevenue: 205 });
      expect(seen.tiles.successRate.text).toBe('80.0%');
      expect(seen.successRate).toEqual([80]);
      expect(seen.revenue[0]).toBe(205);
      expect(seen.updates).toBeGreaterThan(updatesBefore);
      expect(await page.evaluate(() => window.noReloadMarker)).toBe(true);

      // DASHBOARD_SCREENSHOT=/tmp/dashboard.png: a picture of the page to look at.
      if (process.env.DASHBOARD_SCREENSHOT) await page.screenshot({ path: process.env.DASHBOARD_SCREENSHOT, fullPage: true });
    });

    it('loaded everything from the service itself, over the event stream, without errors', () => {
      const elsewhere = requests.filter((r) => new URL(r.url).origin !== origin);
      expect(elsewhere).toEqual([]);
      expect(requests.map((r) => new URL(r.url).pathname)).toEqual(
        expect.arrayContaining(['/', '/assets/chart.umd.min.js', '/assets/dashboard.js', '/analytics/stream']),
      );
      expect(requests.filter((r) => r.type === 'eventsource').map((r) => new URL(r.url).pathname)).toContain('/analytics/stream');
      expect(problems).toEqual([]);
    });
  });

  if (!HAVE_CHROMIUM && process.env.CI) {
    it('has Chromium in CI', () => {
      throw new Error(NO_CHROMIUM);
    });
  }
});
