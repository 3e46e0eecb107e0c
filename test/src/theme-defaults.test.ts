// The CSS custom properties' defaults are written once, in src/chart-theme.ts (LIGHT, DARK,
// HOST); the element's @cssproperty doc tags (hence custom-elements.json and the README's
// readers) quote them. This keeps the quotes true.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DARK, HOST, LIGHT, THEME_PROPERTIES } from '../../src/chart-theme';

const source = readFileSync(new URL('../../src/lstm-forecast.ts', import.meta.url), 'utf8');
const tags = new Map(
  [...source.matchAll(/@cssproperty (--[\w-]+) - (.*)/g)].map((m) => [m[1], m[2]] as const),
);

describe('custom property defaults', () => {
  it('every property the chart reads is documented on the element', () => {
    for (const property of Object.values(THEME_PROPERTIES)) {
      expect(tags.has(property), `@cssproperty ${property}`).toBe(true);
    }
  });

  it('the doc tags quote the light and dark defaults of chart-theme.ts', () => {
    for (const [property, light] of Object.entries(LIGHT)) {
      const doc = tags.get(property) ?? '';
      if (property === '--lstm-forecast-font') {
        expect(doc).toMatch(/Default 12px system-ui/);
        expect(light).toMatch(/^12px system-ui/);
        continue;
      }
      const dark = DARK[property as keyof typeof DARK];
      expect(doc, property).toContain(`Default ${light} (light), ${dark} (dark)`);
    }
  });

  it('the background and height tags quote HOST', () => {
    expect(tags.get('--lstm-forecast-background')).toContain(
      `Default ${HOST.background.light} (theme="light"), ${HOST.background.dark} (theme="dark"), ${HOST.background.auto} (auto)`,
    );
    expect(tags.get('--lstm-forecast-height')).toContain(`Default ${HOST.height}`);
  });
});
