// Words and numbers of the element's status line, as a reader says them: "1 sample" (not
// "1 samples"), "0%" (never "-0%"), "2 h". Pure functions: the Node tests run them.

/** "1 sample", "2 samples", with the count in the reader's locale. */
export function plural(n: number, word: string): string {
  return `${n.toLocaleString()} ${word}${n === 1 ? '' : 's'}`;
}

/** A share as a whole percent, never "-0%" or "+0%"; `signed` puts + before a gain. */
export function percent(x: number, signed: boolean): string {
  const p = Math.round(x * 100);
  if (p === 0) return '0%';
  return `${signed && p > 0 ? '+' : ''}${p < 0 ? '-' : ''}${Math.abs(p)}%`;
}

/** A duration as a person says it: "45 s", "12 min", "2 h", "3 d". */
export function formatDuration(ms: number): string {
  const s = Math.max(0, ms) / 1000;
  if (s < 90) return `${Math.round(s)} s`;
  if (s < 90 * 60) return `${Math.round(s / 60)} min`;
  if (s < 36 * 3600) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86400)} d`;
}

/** The skill against naive: a signed percent, "–" when there is none, "< -999%" below that. */
export function skillText(skill: number): string {
  if (!Number.isFinite(skill)) return '–';
  if (skill < -9.99) return '< -999%';
  return percent(skill, true);
}
