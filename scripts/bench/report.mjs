// `npm run bench`'s outputs: the readable table (Markdown, also printed), the JSON result
// (formatted as Prettier would, so `prettier --check .` passes on it) and the charts (the saga
// against the relay chain, and the two saga modes), Vega-Lite specs rendered to SVG headless by Vega.
import fs from 'node:fs';
import path from 'node:path';
import * as prettier from 'prettier';
import * as vega from 'vega';
import { compile } from 'vega-lite';
import { ratio } from './stats.mjs';

const n = (value) => (value === null || value === undefined ? '–' : Number(value).toLocaleString('en-US'));
const ms = (value) =>
  value === null || value === undefined ? '–' : value >= 100 ? Math.round(value).toLocaleString('en-US') : String(value);
const times = (value) => (value === null || value === undefined ? '–' : `${value}×`);
const check = (ok) => (ok ? '✓' : '✗');

export async function writeResults(result, outDir) {
  fs.mkdirSync(outDir, { recursive: true });
  const jsonFile = path.join(outDir, 'bench-results.json');
  const options = (await prettier.resolveConfig(jsonFile)) ?? {};
  fs.writeFileSync(jsonFile, await prettier.format(JSON.stringify(result), { ...options, filepath: jsonFile }));
  const markdown = table(result);
  fs.writeFileSync(path.join(outDir, 'bench-results.md'), markdown);
  const subtitle = `npm run bench${result.config.quick ? ' --quick' : ''}, ${result.startedAt}; solid p50, dashed p99; a cross: the step fell behind`;
  fs.writeFileSync(
    path.join(outDir, 'latency.svg'),
    await chart(result.steps, { title: 'End-to-end latency against offered rate', subtitle, systems: ['saga', 'relay chain'] }),
  );
  fs.writeFileSync(
    path.join(outDir, 'modes.svg'),
    await chart(result.modes.steps, {
      title: 'The saga choreographed and orchestrated: latency against offered rate',
      subtitle,
      systems: ['choreographed', 'orchestrated'],
    }),
  );
  return {
    markdown,
    files: ['bench-results.json', 'bench-results.md', 'latency.svg', 'modes.svg'].map((file) => path.join(outDir, file)),
  };
}

/** The readable table: the summary with ratios, every step, the invariants. */
export function table(result) {
  const { saga, relay, machine, config } = result;
  const lines = [];
  lines.push(`# npm run bench${config.quick ? ' -- --quick' : ''}: ${result.startedAt}`);
  lines.push('');
  lines.push(
    `The saga's services on ${result.backend === 'postgres' ? 'PostgreSQL (a database each, `BENCH_DATABASE=postgres`)' : 'SQLite (the default)'}. ` +
      `${machine.cpus} × ${machine.cpuModel}, ${machine.memoryGiB} GiB, ${machine.os}; Node.js ${machine.node}; Kafka ${machine.kafka}, one broker ` +
      `(${result.broker}); load average ${machine.loadAverage.start.join(' / ')} at the start, ${machine.loadAverage.end?.join(' / ') ?? '–'} at the end. ` +
      'The load generator and both sinks run in the bench process on the same machine. Shared machines are noisy: compare the ratios, taken in one run.',
  );
  if (config.quick) lines.push('', '**Quick mode**: a few seconds per figure, to keep the harness working. Not a measurement.');
  lines.push('');
  lines.push('| figure | saga | relay chain | saga / relay chain |');
  lines.push('|---|---|---|---|');
  const max = (s) =>
    s.maxSustained.rate === 0 ? `< ${n(config.rates[0])}/s` : `${s.maxSustained.limitFound ? '' : '≥ '}${n(s.maxSustained.rate)}/s`;
  lines.push(`| highest rate sustained (orders/s) | ${max(saga)} | ${max(relay)} | ${n(result.ratios.maxSustained)} |`);
  for (const point of result.latencyPoints) {
    const cell = (latency) => (latency ? `${ms(latency.p50)} / ${ms(latency.p95)} / ${ms(latency.p99)} / ${ms(latency.max)}` : '–');
    lines.push(
      `| latency at ${n(point.rate)}/s${point.label ? ` (${point.label})` : ''}: p50 / p95 / p99 / max (ms) | ${cell(point.saga)} | ${cell(point.relay)} | p99 ${times(point.p99Ratio)}, p50 ${times(point.p50Ratio)} |`,
    );
  }
  const post = (p) =>
    p ? `${n(p.perSecond)}/s, p50 ${ms(p.p50)} ms, p99 ${ms(p.p99)} ms${p.errors ? `, ${n(p.errors)} errors` : ''}` : '–';
  lines.push(
    `| POST /orders, ${config.concurrency} clients in a closed loop, consumers running | ${post(saga.post)} | ${post(relay.post)} | ${times(result.ratios.postPerSecond)} req/s |`,
  );
  lines.push(
    `| CPU ms per completed order at ${n(result.halfRate)}/s, summed over the processes | ${n(saga.cpu?.msPerCompleted)} | ${n(relay.cpu?.msPerCompleted)} | ${times(result.ratios.cpuPerCompleted)} |`,
  );
  const rss = (s) =>
    Object.entries(s.peakRssMb ?? {})
      .map(([name, mb]) => `${name} ${mb}`)
      .join(', ');
  lines.push(`| peak RSS per process (MB) | ${rss(saga)} | ${rss(relay)} | ${times(result.ratios.peakRssSum)} (sums) |`);
  const analytics = result.analytics;
  if (analytics) {
    lines.push(
      `| analytics catch-up: a ${n(analytics.catchUp.events)}-event backlog replayed from an empty state, both as users run them (events/s): analytics-service vs a raw kafkajs consumer | ${n(analytics.catchUp.servicePerSecond)} | ${n(analytics.catchUp.rawPerSecond)} (raw consumer) | ${n(analytics.catchUp.ratio)} |`,
    );
    if (analytics.capped)
      lines.push(
        `| the same on the 10× phase's ${n(analytics.capped.events)} new events, analytics-service's V8 heap capped at ${analytics.capped.heapMb} MB (the raw consumer uncapped) | ${n(analytics.capped.servicePerSecond)} | ${n(analytics.capped.rawPerSecond)} (raw consumer) | ${n(analytics.capped.ratio)} |`,
      );
    const [first, last] = analytics.phases;
    lines.push(
      `| analytics-service RSS after ${n(first.orders)} orders → after ${n(first.orders + last.orders)} (10× the events), MB | ${n(analytics.memory.rssMbAfterBacklog)} → ${n(analytics.memory.rssMbAfter10x)} | – | ${times(analytics.memory.ratio)} |`,
    );
  }
  const perf = result.producerPerformance;
  if (perf)
    lines.push(
      `| Kafka's ProducerPerformance, ${n(perf.records)} × ${perf.recordSize} B, acks=all (context) | – | – | ${n(perf.perSecond)} records/s (${perf.mbPerSecond} MB/s), p99 ${perf.latencyMs.p99} ms |`,
    );
  lines.push('');
  lines.push(
    `Open loop: requests at fixed intervals, latency from each request's scheduled send time to its terminal event on Kafka ` +
      `(saga: ${'`order.completed`'} / ${'`order.cancelled`'}; relay chain: the last hop), so a stall delays no request and hides no latency. ` +
      `A rate is sustained when every request was accepted, every accepted order was terminal within ${config.drainSeconds} s of the last send, ` +
      `p99 ≤ ${n(config.p99BoundMs)} ms, and latency did not grow over the step (p50 of its last quarter ≤ 1.5 × p50 of its first + 50 ms). ` +
      'A step that fell behind ran once more (full run); a system stopped at its first rate that failed twice.',
  );
  lines.push('');
  lines.push(`## Steps (${config.stepSeconds} s each, rates interleaved: relay chain, then saga)`);
  lines.push('');
  lines.push('| system | rate/s | sent | accepted | terminal | p50 | p95 | p99 | max (ms) | completed/s | send lag p99 (ms) | sustained |');
  lines.push('|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const step of result.steps) {
    const { latency } = step;
    lines.push(
      `| ${step.system}${step.attempt > 1 ? ' (again)' : ''}${step.half ? " (half the saga's max)" : ''} | ${n(step.rate)} | ${n(step.sent)} | ${n(step.accepted)} | ${n(step.completed)} | ` +
        `${ms(latency.p50)} | ${ms(latency.p95)} | ${ms(latency.p99)} | ${ms(latency.max)} | ${n(step.completedPerSecond)} | ${ms(step.sendLagP99)} | ` +
        `${step.sustained ? 'yes' : `no: ${step.reasons.join('; ')}`} |`,
    );
  }
  lines.push('');
  lines.push('## Choreography vs orchestration (SAGA_MODE), the same ladder interleaved');
  lines.push('');
  lines.push(modesTable(result));
  lines.push('');
  lines.push('## Invariants, checked at the end of the run');
  lines.push('');
  for (const invariant of result.invariants) lines.push(`- ${check(invariant.ok)} ${invariant.name}: ${invariant.detail}`);
  lines.push('');
  return `${lines.join('\n')}\n`;
}

/** Latency percentiles (p50, p99) against offered rate, two systems (steps[].system) on one plot. */
async function chart(steps, { title, subtitle, systems }) {
  const values = steps
    .filter((step) => step.final && step.latency.p50 !== null)
    .flatMap((step) =>
      ['p50', 'p99'].map((percentile) => ({
        system: step.system,
        rate: step.rate,
        percentile,
        ms: Math.max(step.latency[percentile], 0.1),
        sustained: step.sustained ? 'sustained' : 'fell behind',
      })),
    );
  const encoding = {
    x: {
      field: 'rate',
      type: 'quantitative',
      scale: { type: 'log', nice: false, padding: 12 },
      axis: { values: [25, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000] },
      title: 'offered rate (orders/s, open loop)',
    },
    y: { field: 'ms', type: 'quantitative', scale: { type: 'log' }, title: 'latency from the scheduled send (ms)' },
    color: { field: 'system', type: 'nominal', title: null, scale: { domain: systems, range: ['#d62728', '#1f77b4'] } },
  };
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: title, subtitle },
    width: 600,
    height: 360,
    background: 'white',
    config: { legend: { orient: 'bottom', direction: 'horizontal' } },
    data: { values },
    layer: [
      {
        mark: { type: 'line', strokeWidth: 2 },
        encoding: {
          ...encoding,
          strokeDash: {
            field: 'percentile',
            type: 'nominal',
            title: 'percentile',
            scale: {
              domain: ['p50', 'p99'],
              range: [
                [1, 0],
                [6, 4],
              ],
            },
          },
          detail: { field: 'percentile' },
        },
      },
      {
        mark: { type: 'point', filled: true, size: 50 },
        encoding: {
          ...encoding,
          shape: {
            field: 'sustained',
            type: 'nominal',
            title: null,
            scale: { domain: ['sustained', 'fell behind'], range: ['circle', 'cross'] },
          },
        },
      },
    ],
  };
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** The modes comparison as the orchestration guide quotes it. */
export function modesTable(result) {
  const [c, o] = result.modes.results;
  const lat = (l) => (l ? `${l.p50} / ${l.p99}` : '–');
  const max = (r) => `${r.maxSustained.limitFound ? '' : '≥ '}${r.maxSustained.rate.toLocaleString('en-US')}/s`;
  const rows = [
    ['highest rate sustained (orders/s)', max(c), max(o), ratio(o.maxSustained.rate, c.maxSustained.rate)],
    ['latency at 50/s, p50 / p99 (ms)', lat(c.latency50), lat(o.latency50), ratio(o.latency50?.p99, c.latency50?.p99)],
    ['latency at 200/s, p50 / p99 (ms)', lat(c.latency200), lat(o.latency200), ratio(o.latency200?.p99, c.latency200?.p99)],
    ['CPU ms per saga at 200/s, the four services', c.cpuMsPerSaga, o.cpuMsPerSaga, ratio(o.cpuMsPerSaga, c.cpuMsPerSaga)],
    [
      'messages on Kafka per saga: events + commands',
      `${c.messagesPerSaga.events} + ${c.messagesPerSaga.commands}`,
      `${o.messagesPerSaga.events} + ${o.messagesPerSaga.commands}`,
      ratio(o.messagesPerSaga.total, c.messagesPerSaga.total),
    ],
  ];
  return [
    '| figure | choreographed | orchestrated | orchestrated / choreographed |',
    '|---|---|---|---|',
    ...rows.map(
      ([figure, chor, orch, r]) => `| ${[figure, chor, orch, r === null ? '–' : `${r}×`].map((cell) => cell ?? '–').join(' | ')} |`,
    ),
    '',
    `Every order takes the happy path (no simulated failures); latency from the scheduled POST to \`order.completed\`, its ratio taken on p99; ${result.modes.results.map((r) => `${r.mode}: ${r.accepted.toLocaleString('en-US')} orders`).join(', ')}.`,
  ].join('\n');
}
