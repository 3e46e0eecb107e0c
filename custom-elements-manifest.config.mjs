// The Custom Elements Manifest (custom-elements.json, made by `npm run build` with
// `cem analyze`): the element's attributes, properties, events, parts and CSS properties, read
// from its doc comments, for IDEs, linters and Storybook. The published package has no src/, so
// module paths point at the bundle that defines the element.

const SOURCE = 'src/lstm-forecast.ts';
const BUNDLE = 'dist/lstm-forecast.js';

/** @type {import('@custom-elements-manifest/analyzer').Config} */
export default {
  globs: [SOURCE],
  outdir: '.',
  litelement: true,
  packagejson: false,
  plugins: [
    {
      name: 'lstm-forecast:bundle-paths',
      packageLinkPhase({ customElementsManifest }) {
        for (const mod of customElementsManifest.modules) {
          if (mod.path === SOURCE) mod.path = BUNDLE;
          // The element's events are its @fires tags. The analyzer also reads the private
          // dispatch(type, detail) helper's `new CustomEvent(type)` as an event named "type".
          for (const decl of mod.declarations ?? []) {
            if (decl.events) decl.events = decl.events.filter((e) => e.description);
          }
          for (const exp of mod.exports ?? []) {
            if (exp.declaration?.module === SOURCE) exp.declaration.module = BUNDLE;
          }
        }
      },
    },
  ],
};
