// Number, time and duration formats for the dashboard.

/** About four significant digits, with the unit. */
export function formatValue(v: number, unit = ''): string {
  if (!Number.isFinite(v)) return '–';
  const a = Math.abs(v);
  const text =
    a !== 0 && (a < 0.01 || a >= 1e6)
      ? v.toExponential(2)
      : v.toLocaleString(undefined, {
          minimumFractionDigits: a < 10 ? 2 : a < 1000 ? 1 : 0,
          maximumFractionDigits: a < 10 ? 2 : a < 1000 ? 1 : 0,
        });
  return unit ? `${text} ${unit}` : text;
}

const HOUR = 3600_000;
const DAY = 24 * HOUR;

// 24-hour times: shorter in a log column, and unambiguous on a simulated clock.
const WEEKDAY_TIME = new Intl.DateTimeFormat(undefined, {
  weekday: 'short',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
});
const DAY_TIME = new Intl.DateTimeFormat(undefined, {
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
});
const DATE_TIME = new Intl.DateTimeFormat(undefined, {
  year: 'numeric',
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
});
const DATE = new Intl.DateTimeFormat(undefined, {
  year: 'numeric',
  month: 'short',
  day: 'numeric',
});
const MONTH = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short' });

export interface TimeStyle {
  /** Real dates (a replay): print the date. Otherwise a simulated week: the weekday will do. */
  calendar: boolean;
  /** With a calendar, print the year of sub-daily times too (it is always there for days and months). */
  year?: boolean;
}

/**
 * A time as precisely as a series sampled every `stepMs` needs: the month for monthly data, the
 * day for daily data, the minute otherwise.
 */
export function formatTime(t: number, stepMs: number, style: TimeStyle): string {
  if (!Number.isFinite(stepMs) || stepMs < DAY / 2) {
    if (!style.calendar) return WEEKDAY_TIME.format(t);
    return (style.year ? DATE_TIME : DAY_TIME).format(t);
  }
  if (stepMs < 20 * DAY) return DATE.format(t);
  return MONTH.format(t);
}

/** A span of time: "36 min", "2.4 h", "5 days", "2 years". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms <= 0) return '';
  if (ms < HOUR) return `${Math.round(ms / 60_000)} min`;
  if (ms < 2 * DAY) return `${+(ms / HOUR).toFixed(1)} h`;
  if (ms < 60 * DAY) return `${Math.round(ms / DAY)} days`;
  if (ms < 730 * DAY) return `${Math.round(ms / (30.44 * DAY))} months`;
  return `${+(ms / (365.25 * DAY)).toFixed(1)} years`;
}
