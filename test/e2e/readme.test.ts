// The README's reference of the element is kept by hand; this keeps it in step with the
// custom-elements.json that `npm run build` generates from the element's doc tags: every
// attribute, public method, event, CSS part and custom property there must be named in the
// README (in backticks).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './support';

interface Named {
  name: string;
  kind?: string;
  privacy?: string;
  static?: boolean;
}
interface Declaration {
  tagName?: string;
  attributes?: Named[];
  members?: Named[];
  events?: Named[];
  cssParts?: Named[];
  cssProperties?: Named[];
}

const manifest = JSON.parse(readFileSync(join(ROOT, 'custom-elements.json'), 'utf8')) as {
  modules: { declarations?: Declaration[] }[];
};
const element = manifest.modules
  .flatMap((m) => m.declarations ?? [])
  .find((d) => d.tagName === 'lstm-forecast');
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const LISTENERS = new Set(['addEventListener', 'removeEventListener']);

describe('README and custom-elements.json', () => {
  it('the manifest describes <lstm-forecast>', () => {
    expect(element).toBeDefined();
  });

  const groups: [string, (d: Declaration) => string[]][] = [
    ['attributes', (d) => (d.attributes ?? []).map((a) => a.name)],
    [
      'methods',
      (d) =>
        (d.members ?? [])
          .filter((m) => m.kind === 'method' && !m.privacy && !m.static && !LISTENERS.has(m.name))
          .map((m) => m.name),
    ],
    ['events', (d) => (d.events ?? []).map((e) => e.name)],
    ['CSS parts', (d) => (d.cssParts ?? []).map((p) => p.name)],
    ['CSS custom properties', (d) => (d.cssProperties ?? []).map((p) => p.name)],
  ];
  for (const [what, names] of groups) {
    it(`names every one of the element's ${what}`, () => {
      const all = [...new Set(names(element!))];
      expect(all.length, `${what} in the manifest`).toBeGreaterThan(0);
      const missing = all.filter((n) => !readme.includes('`' + n) && !readme.includes(n + '`'));
      expect(missing, `${what} missing from README.md`).toEqual([]);
    });
  }
});
