import { describe, expect, it } from 'vitest';
import { formatDuration, percent, plural } from '../../src/status-text';

describe('status line words', () => {
  it('counts in the singular for one', () => {
    expect(plural(1, 'sample')).toBe('1 sample');
    expect(plural(0, 'sample')).toBe('0 samples');
    expect(plural(2, 'sample')).toBe('2 samples');
  });

  it('never says -0% or +0%, and signs gains and losses', () => {
    expect(percent(-0.004, true)).toBe('0%');
    expect(percent(0.004, true)).toBe('0%');
    expect(percent(0.12, true)).toBe('+12%');
    expect(percent(-0.12, true)).toBe('-12%');
    expect(percent(0.8, false)).toBe('80%');
  });

  it('says durations in the unit a person would', () => {
    expect(formatDuration(30_000)).toBe('30 s');
    expect(formatDuration(12 * 60_000)).toBe('12 min');
    expect(formatDuration(2 * 3600_000)).toBe('2 h');
    expect(formatDuration(3 * 86_400_000)).toBe('3 d');
    expect(formatDuration(-5)).toBe('0 s');
  });
});
