/**
 * The chart's theme: the CSS custom properties it reads, their light and dark defaults, and how a
 * theme is read off an element. The table of properties is at the top of chart.ts.
 */

/** Every custom property the chart reads, by the role it styles. */
export const THEME_PROPERTIES = {
  history: '--lstm-forecast-history-color',
  forecast: '--lstm-forecast-forecast-color',
  band: '--lstm-forecast-band-color',
  anomaly: '--lstm-forecast-anomaly-color',
  now: '--lstm-forecast-now-color',
  grid: '--lstm-forecast-grid-color',
  text: '--lstm-forecast-text-color',
  threshold: '--lstm-forecast-threshold-color',
  past: '--lstm-forecast-past-color',
  font: '--lstm-forecast-font',
} as const;

export type ThemeRole = keyof typeof THEME_PROPERTIES;
export type ThemeProperty = (typeof THEME_PROPERTIES)[ThemeRole];

/**
 * Default values by property. The band is not in these maps on purpose: unset, it is the forecast
 * colour at {@link BAND_ALPHA} opacity, so restyling the forecast restyles its interval too.
 */
export type ThemeDefaults = Readonly<
  Record<Exclude<ThemeProperty, '--lstm-forecast-band-color'>, string>
>;

/** Opacity of the interval band when `--lstm-forecast-band-color` is unset. */
export const BAND_ALPHA = 0.2;

const FONT =
  '12px system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';

/** Light defaults (Tailwind's slate, blue and orange): used for every property that is unset. */
export const LIGHT: ThemeDefaults = {
  '--lstm-forecast-history-color': '#1e293b',
  '--lstm-forecast-forecast-color': '#2563eb',
  '--lstm-forecast-anomaly-color': '#ea580c',
  '--lstm-forecast-now-color': '#94a3b8',
  '--lstm-forecast-grid-color': 'rgba(100, 116, 139, 0.16)',
  '--lstm-forecast-text-color': '#475569',
  '--lstm-forecast-threshold-color': '#dc2626',
  '--lstm-forecast-past-color': '#7c3aed',
  '--lstm-forecast-font': FONT,
};

/** Dark defaults, for a background around slate-900 (#0f172a); the element sets them under `theme="dark"`. */
export const DARK: ThemeDefaults = {
  '--lstm-forecast-history-color': '#e2e8f0',
  '--lstm-forecast-forecast-color': '#60a5fa',
  '--lstm-forecast-anomaly-color': '#fb923c',
  '--lstm-forecast-now-color': '#64748b',
  '--lstm-forecast-grid-color': 'rgba(148, 163, 184, 0.14)',
  '--lstm-forecast-text-color': '#94a3b8',
  '--lstm-forecast-threshold-color': '#f87171',
  '--lstm-forecast-past-color': '#c4b5fd',
  '--lstm-forecast-font': FONT,
};

/**
 * The element's own defaults, beside the chart's: its background under each explicit theme (an
 * element that says `theme="dark"` on a light page must not be a light line on white), and its
 * height when its container gives none. `theme="auto"` (and no theme) keeps a transparent
 * background: the page's own, which follows the same colour scheme.
 */
export const HOST = {
  background: { auto: 'transparent', light: '#ffffff', dark: '#0f172a' },
  height: '240px',
} as const;

/** A theme as the chart draws it: one concrete value per role. */
export type ChartTheme = Record<ThemeRole, string>;

/** `--a: x; --b: y;` declarations of a defaults map, for a `:host` rule (e.g. through Lit's `unsafeCSS`). */
export function themeDeclarations(defaults: ThemeDefaults): string {
  return Object.entries(defaults)
    .map(([property, value]) => `${property}: ${value};`)
    .join(' ');
}

/** Reads the theme off `el`'s computed style, falling back to {@link LIGHT} per unset property. */
export function readTheme(el: Element): ChartTheme {
  const style = getComputedStyle(el);
  const read = (property: ThemeProperty): string => style.getPropertyValue(property).trim();
  const theme = {} as ChartTheme;
  for (const role of Object.keys(THEME_PROPERTIES) as ThemeRole[]) {
    const property = THEME_PROPERTIES[role];
    theme[role] =
      read(property) || (property in LIGHT ? LIGHT[property as keyof ThemeDefaults] : '');
  }
  if (theme.band === '') theme.band = withAlpha(theme.forecast, BAND_ALPHA);
  return theme;
}

/**
 * `color` at `alpha` times its own opacity. A canvas normalises any CSS colour it understands to
 * `#rrggbb` or `rgba(...)`; anything else (a wide-gamut colour, say) goes through `color-mix`.
 */
export function withAlpha(color: string, alpha: number): string {
  const ctx = document.createElement('canvas').getContext('2d');
  if (ctx) {
    ctx.fillStyle = color;
    const normal = String(ctx.fillStyle);
    const hex = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(normal);
    if (hex) {
      const [r, g, b] = hex.slice(1).map((h) => parseInt(h, 16));
      return `rgba(${r}, ${g}, ${b}, ${alpha})`;
    }
    const rgba = /^rgba\(([^,]+),([^,]+),([^,]+),([^)]+)\)$/.exec(normal);
    if (rgba) {
      const a = Number(rgba[4]) * alpha;
      return `rgba(${rgba[1].trim()}, ${rgba[2].trim()}, ${rgba[3].trim()}, ${+a.toFixed(3)})`;
    }
  }
  return `color-mix(in srgb, ${color} ${Math.round(alpha * 100)}%, transparent)`;
}
