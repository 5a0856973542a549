// Percentiles and the summaries the benchmark prints.

/** The q-quantile (0..1) of ascending `sorted` by the nearest-rank method; null when empty. */
export function quantile(sorted, q) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/** count, p50, p95, p99, max and mean of `values` (milliseconds), rounded to 0.1 ms. */
export function summarize(values) {
  const sorted = Float64Array.from(values).sort();
  const round = (value) => (value === null || value === undefined ? null : Math.round(value * 10) / 10);
  const sum = sorted.reduce((total, value) => total + value, 0);
  return {
    count: sorted.length,
    p50: round(quantile(sorted, 0.5)),
    p95: round(quantile(sorted, 0.95)),
    p99: round(quantile(sorted, 0.99)),
    max: round(sorted.length ? sorted[sorted.length - 1] : null),
    mean: round(sorted.length ? sum / sorted.length : null),
  };
}

/** a / b rounded to two digits, or null when either is missing or b is 0. */
export function ratio(a, b) {
  if (a === null || a === undefined || b === null || b === undefined || b === 0) return null;
  return Math.round((a / b) * 100) / 100;
}
