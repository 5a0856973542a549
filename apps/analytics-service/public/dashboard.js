// The live dashboard: one EventSource on analytics/stream (each event's data is the
// GET /analytics JSON), tiles with the current figures and four Chart.js charts.
// No framework and no build step; Chart.js (window.Chart) is served by this service.
// Any field the service does not send (yet) shows as "–".
'use strict';

(() => {
  const DASH = '–';
  /** The trend charts keep at most this much history, and at most this many points. */
  const HISTORY_MS = 15 * 60_000;
  const MAX_POINTS = 900;
  const MIN_SPAN_MS = 60_000;
  /** Without an event for this long (the stream sends one every few seconds), say so. */
  const STALE_AFTER_MS = 15_000;
  const RETRY_AFTER_MS = 5_000;

  const COLORS = { blue: '#2563eb', green: '#15803d', teal: '#0f766e', amber: '#b45309', red: '#b91c1c', violet: '#6d28d9' };

  const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
  const oneDecimal = new Intl.NumberFormat('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 });
  const money = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' });
  const clock = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  const minuteClock = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit' });

  const number = (value) => (typeof value === 'number' && Number.isFinite(value) ? value : null);

  const FORMATS = {
    count: (n) => integer.format(n),
    percent: (n) => `${oneDecimal.format(n)}%`,
    money: (n) => money.format(n),
    ms: (n) => `${integer.format(n)} ms`,
  };

  /** Axis ticks: no decimals where none are needed ("$150", "80%"). */
  const AXIS_FORMATS = {
    percent: (n) => `${n}%`,
    money: (n) => (Number.isInteger(n) ? `$${integer.format(n)}` : money.format(n)),
    ms: (n) => `${integer.format(n)} ms`,
  };

  function format(kind, value) {
    const n = number(value);
    return n === null ? DASH : (FORMATS[kind] ?? FORMATS.count)(n);
  }

  /** `pick(snapshot, 'sagaDurationMs.p95')`: a field by its dotted path, or undefined. */
  function pick(snapshot, path) {
    return path.split('.').reduce((value, key) => (value !== null && typeof value === 'object' ? value[key] : undefined), snapshot);
  }

  // ------------------------------------------------------------------ charts

  function makeCharts() {
    if (typeof window.Chart !== 'function') {
      console.warn('dashboard: Chart.js did not load; showing the figures only');
      return {};
    }
    const { Chart } = window;
    Chart.defaults.animation = false; // several updates a second: draw, don't tween
    Chart.defaults.maintainAspectRatio = false;
    Chart.defaults.color = '#475569';
    Chart.defaults.font.family = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';

    const timeAxis = {
      type: 'linear',
      grid: { display: false },
      ticks: { maxTicksLimit: 6, maxRotation: 0, callback: (value) => clock.format(value) },
    };
    // Only the newest point is drawn as a dot: it marks "now" on each line.
    const lastPointOnly = (ctx) => (ctx.dataIndex === ctx.dataset.data.length - 1 ? 3 : 0);

    const trend = (id, datasets, y, kind) =>
      new Chart(document.getElementById(id), {
        type: 'line',
        data: {
          datasets: datasets.map(([label, color]) => ({
            label,
            data: [],
            borderColor: color,
            backgroundColor: color,
            borderWidth: 2,
            pointRadius: lastPointOnly,
            // A figure holds until the snapshot that changed it.
            stepped: 'after',
            spanGaps: false,
          })),
        },
        options: {
          interaction: { mode: 'nearest', axis: 'x', intersect: false },
          scales: { x: { ...timeAxis }, y: { beginAtZero: true, ...y, ticks: { callback: (value) => AXIS_FORMATS[kind](value) } } },
          plugins: {
            legend: { display: datasets.length > 1, position: 'bottom', labels: { boxWidth: 12 } },
            tooltip: {
              callbacks: {
                title: (items) => (items.length ? clock.format(items[0].parsed.x) : ''),
                label: (item) => `${item.dataset.label}: ${format(kind, item.parsed.y)}`,
              },
            },
          },
        },
      });

    return {
      ordersPerMinute: new Chart(document.getElementById('orders-per-minute'), {
        type: 'bar',
        data: { labels: [], datasets: [{ label: 'Orders', data: [], backgroundColor: COLORS.blue, borderRadius: 2, maxBarThickness: 14 }] },
        options: {
          scales: {
            x: { grid: { display: false }, ticks: { maxTicksLimit: 7, maxRotation: 0 } },
            y: { beginAtZero: true, ticks: { precision: 0 } },
          },
          plugins: { legend: { display: false } },
        },
      }),
      successRate: trend('success-rate', [['Success rate', COLORS.green]], { max: 100 }, 'percent'),
      revenue: trend(
        'revenue',
        [
          ['Gross', COLORS.blue],
          ['Net of refunds', COLORS.teal],
        ],
        {},
        'money',
      ),
      sagaLatency: trend(
        'saga-latency',
        [
          ['p50', COLORS.green],
          ['p95', COLORS.amber],
          ['p99', COLORS.red],
        ],
        {},
        'ms',
      ),
    };
  }

  /** Adds the point at `time` (replacing one at the same time) and drops what is too old. */
  function pushPoint(dataset, time, value) {
    const data = dataset.data;
    const point = { x: time, y: number(value) }; // null: a gap, not a zero
    if (data.length > 0 && data[data.length - 1].x >= time) data[data.length - 1] = point;
    else data.push(point);
    while (data.length > MAX_POINTS || (data.length > 1 && data[0].x < time - HISTORY_MS)) data.shift();
  }

  // ------------------------------------------------------------------ rendering

  const charts = makeCharts();
  const dashboard = { charts, lastSnapshot: null, updates: 0 };
  window.dashboard = dashboard;

  const connection = document.getElementById('connection');
  const generatedAt = document.getElementById('generated-at');
  const catchingUp = document.querySelector('[data-metric="catchingUp"]');
  const summaries = {
    ordersPerMinute: document.getElementById('orders-per-minute-summary'),
    successRate: document.getElementById('success-rate-summary'),
    revenue: document.getElementById('revenue-summary'),
    sagaLatency: document.getElementById('saga-latency-summary'),
  };

  function render(snapshot) {
    dashboard.lastSnapshot = snapshot;
    dashboard.updates += 1;
    const generated = Date.parse(snapshot.generatedAt);
    const time = Number.isFinite(generated) ? generated : Date.now();

    for (const element of document.querySelectorAll('[data-metric][data-format]')) {
      const value = pick(snapshot, element.dataset.metric);
      element.dataset.value = JSON.stringify(value ?? null);
      element.querySelector('dd, [data-part="value"]').textContent = format(element.dataset.format, value);
    }
    catchingUp.hidden = snapshot.catchingUp !== true;
    catchingUp.querySelector('[data-part="lag"]').textContent =
      number(snapshot.lag) === null ? '' : `(lag ${integer.format(snapshot.lag)})`;
    generatedAt.dateTime = new Date(time).toISOString();
    generatedAt.textContent = clock.format(time);

    renderOrdersPerMinute(snapshot.ordersPerMinute, time);
    renderTrends(snapshot, time);
  }

  function renderOrdersPerMinute(perMinute, time) {
    const counts = Array.isArray(perMinute) ? perMinute.map(number) : [];
    const minute = time - (time % 60_000);
    const total = counts.reduce((sum, n) => sum + (n ?? 0), 0);
    const busiest = counts.length ? Math.max(...counts.map((n) => n ?? 0)) : null;
    summaries.ordersPerMinute.textContent = counts.length
      ? [
          `This minute: ${format('count', counts[counts.length - 1])}`,
          `busiest minute: ${format('count', busiest)}`,
          `last hour: ${format('count', total)}`,
        ].join(' · ')
      : DASH;
    const chart = charts.ordersPerMinute;
    if (!chart) return;
    chart.data.labels = counts.map((_, i) => minuteClock.format(minute - (counts.length - 1 - i) * 60_000));
    chart.data.datasets[0].data = counts;
    chart.update('none');
  }

  function renderTrends(snapshot, time) {
    const latency = snapshot.sagaDurationMs ?? {};
    const series = {
      successRate: [snapshot.successRate],
      revenue: [snapshot.totalRevenue, snapshot.netRevenue],
      sagaLatency: [latency.p50, latency.p95, latency.p99],
    };
    for (const [name, values] of Object.entries(series)) {
      const chart = charts[name];
      if (!chart) continue;
      values.forEach((value, i) => pushPoint(chart.data.datasets[i], time, value));
      // At least the last minute is on screen, "now" at the right edge.
      chart.options.scales.x.min = Math.min(chart.data.datasets[0].data[0].x, time - MIN_SPAN_MS);
      chart.options.scales.x.max = time;
      chart.update('none');
    }
    const finished = `${format('count', snapshot.successfulOrders)} completed, ${format('count', snapshot.failedOrders)} cancelled`;
    summaries.successRate.textContent = `Now: ${format('percent', snapshot.successRate)} (${finished})`;
    summaries.revenue.textContent = [
      `Now: gross ${format('money', snapshot.totalRevenue)}`,
      `net ${format('money', snapshot.netRevenue)}`,
      `refunded ${format('money', snapshot.refundedAmount)}`,
    ].join(' · ');
    const percentiles = `p50 ${format('ms', latency.p50)} · p95 ${format('ms', latency.p95)} · p99 ${format('ms', latency.p99)}`;
    summaries.sagaLatency.textContent = `Now: ${percentiles} over ${format('count', latency.count)} sagas`;
  }

  // ------------------------------------------------------------------ the stream

  let lastEventAt = 0;

  function setConnection(state, text) {
    if (connection.dataset.state === state && connection.textContent === text) return;
    connection.dataset.state = state;
    connection.textContent = text;
  }

  function connect() {
    // EventSource reconnects by itself after a dropped connection; it gives up only when
    // the answer is not an event stream (e.g. a 404 or 5xx), and then we start over.
    const source = new EventSource('analytics/stream');
    source.onopen = () => setConnection('live', 'Live');
    source.onmessage = (event) => {
      let snapshot;
      try {
        snapshot = JSON.parse(event.data);
      } catch {
        console.warn('dashboard: an event that is not JSON was ignored');
        return;
      }
      lastEventAt = Date.now();
      setConnection('live', 'Live');
      render(snapshot);
    };
    source.onerror = () => {
      if (source.readyState === EventSource.CLOSED) {
        setConnection('down', `Stream unavailable, retrying in ${RETRY_AFTER_MS / 1000} s`);
        setTimeout(connect, RETRY_AFTER_MS);
      } else {
        setConnection('reconnecting', 'Reconnecting…');
      }
    };
  }

  setInterval(() => {
    const state = connection.dataset.state;
    if ((state === 'live' || state === 'stale') && lastEventAt > 0 && Date.now() - lastEventAt > STALE_AFTER_MS) {
      setConnection('stale', `No update for ${Math.round((Date.now() - lastEventAt) / 1000)} s`);
    }
  }, 1_000);

  connect();
})();
