// Online season detection: the autocorrelation of the first differences over the buffer,
// the lag with the highest one if it is clearly there. Users will not tell us the period.

/**
 * Returns the season length in samples, or 0. `y(i)` gives sample i for i in [from, to).
 * Looks at lags 2..maxLag; a season needs an autocorrelation of at least `threshold` at a local
 * maximum, and at least `minPeriods` full periods of data.
 */
export function detectSeason(
  y: (i: number) => number,
  from: number,
  to: number,
  maxLag: number,
  threshold = 0.3,
  minPeriods = 3,
): number {
  const n = to - from - 1; // number of differences
  if (n < 4 * minPeriods) return 0;
  const d = new Float64Array(n);
  let mean = 0;
  for (let i = 0; i < n; i++) {
    d[i] = y(from + i + 1) - y(from + i);
    mean += d[i];
  }
  mean /= n;
  let var0 = 0;
  for (let i = 0; i < n; i++) {
    d[i] -= mean;
    var0 += d[i] * d[i];
  }
  if (!(var0 > 0)) return 0;
  const top = Math.min(maxLag, Math.floor(n / minPeriods));
  const acf = new Float64Array(top + 2);
  for (let lag = 1; lag <= top + 1 && lag < n; lag++) {
    let s = 0;
    for (let i = lag; i < n; i++) s += d[i] * d[i - lag];
    acf[lag] = s / var0;
  }
  let best = 0;
  let bestAcf = threshold;
  for (let lag = 2; lag <= top; lag++) {
    if (acf[lag] > bestAcf && acf[lag] >= acf[lag - 1] && acf[lag] >= acf[lag + 1]) {
      best = lag;
      bestAcf = acf[lag];
    }
  }
  return best;
}
