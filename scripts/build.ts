// `npm run build`: everything the published package holds, into dist/ (emptied first).
//
//   dist/lstm-forecast.js        ES module, all in one: the element, Lit, uPlot and its CSS,
//                                Comlink, idb-keyval, and the worker inlined (started from a Blob
//                                URL), so one <script type="module" src> from any origin works.
//   dist/lstm-forecast.iife.js   the same as a classic script (global `LstmForecast`).
//   dist/csp/lstm-forecast.js    for a strict Content-Security-Policy (worker-src 'self', no
//   dist/csp/lstm-forecast.worker.js   blob:): the worker is a file next to the module, and so is
//   dist/csp/lstm-forecast.sources.js  the live sources' code, loaded when `src` is first set,
//   dist/csp/lstm-forecast.persist.js  and persistence's, when `persist` is first set.
//   dist/core.js                 `lstm-forecast/core`: the engine and the numeric core, for Node.
//   dist/react.js                `lstm-forecast/react`: the React wrapper (imports ./lstm-forecast.js).
//   dist/types/                  declarations (tsc -p tsconfig.build.json).
//   custom-elements.json         the Custom Elements Manifest (cem analyze).
//
// The builds differ in two modules: src/pool.ts imports ./worker-factory, which the all-in-one
// builds resolve to ./worker-factory.inline (an `?worker&inline` import) instead; and the
// element builds resolve the SIMD kernels' bytes (worker/core/kernels-wasm.gen.js, made first by
// scripts/wasm/build-kernels.ts) to worker/core/kernels-wasm.none.ts: no WebAssembly in them,
// decided here. In the CSP build that is the point: a policy without 'wasm-unsafe-eval' is
// never violated, and its worker runs the JS kernels. In the all-in-one builds it is the size
// budget (scripts/size.ts, 82 KB gzip): the float32 kernels and their glue measured +1.7 KB
// there (84.0 KB on this branch's base, 80.0 before), over it; they go in when the budget
// allows. dist/core.js (Node) carries them and runs them.

import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type InlineConfig, type Plugin } from 'vite';
import { buildKernels } from './wasm/build-kernels';

// Always a production build, whoever runs it: under Vitest (test/e2e/setup.ts builds) NODE_ENV is
// 'test', and Vite would then resolve packages' "development" exports (Lit's dev mode, 4 KB more).
process.env.NODE_ENV = 'production';

const root = fileURLToPath(new URL('..', import.meta.url));
const resolveFrom = (p: string) => fileURLToPath(new URL(`../${p}`, import.meta.url));

/** Browsers the element supports: Lit 3 needs ES2021; module workers everywhere since 2023. */
const TARGET = 'es2022';

/**
 * Full minification for the browser bundles. Vite keeps whitespace and pure annotations in an ES
 * library (for the user's bundler to shake), but these bundles are served as they are.
 * Licence headers stay (Lit's BSD-3-Clause asks for its notice).
 */
const MINIFIED = {
  minify: true,
  rolldownOptions: {
    output: { minify: true, comments: { legal: true, annotation: false, jsdoc: false } },
  },
} as const;

/** Swaps ./worker-factory for ./worker-factory.inline, the worker bundled as text. */
const inlineWorker = {
  find: /^\.\/worker-factory$/,
  replacement: './worker-factory.inline',
};

/** The element builds' kernels: none (see the head of this file). */
const noWasm = {
  find: /^\.\/kernels-wasm\.gen$/,
  replacement: resolveFrom('worker/core/kernels-wasm.none.ts'),
};

/** Settings every build shares: no config file (vite.config.ts is the dev server and tests). */
function base(config: InlineConfig): InlineConfig {
  return {
    configFile: false,
    root,
    mode: 'production',
    logLevel: 'warn',
    ...config,
    worker: { format: 'es', ...config.worker },
    build: {
      emptyOutDir: false,
      target: TARGET,
      reportCompressedSize: false,
      ...config.build,
    },
  };
}

/**
 * The element's stylesheet (Lit's css`` in src/) without its comments, indentation and line
 * breaks: the minifier leaves template text alone. Runs of whitespace become one space, and that goes around
 * { } ; and after : and , (no selector here has a space after a colon).
 */
const compactCss: Plugin = {
  name: 'lstm-forecast:compact-css',
  transform(code, id) {
    if (!id.startsWith(resolveFrom('src/')) || !code.includes('css`')) return null;
    return code.replace(
      /\bcss`([^`]*)`/g,
      (_, body: string) =>
        `css\`${body
          .replace(/\/\*[\s\S]*?\*\//g, '')
          .replace(/\s+/g, ' ')
          .replace(/ ?([{};]) ?|([:,]) /g, '$1$2')
          .trim()}\``,
    );
  },
};

/** The element as one module (or one classic script), worker inlined. */
function allInOne(format: 'es' | 'iife', fileName: string): InlineConfig {
  return base({
    resolve: { alias: [inlineWorker, noWasm] },
    plugins: [compactCss],
    build: {
      outDir: 'dist',
      ...MINIFIED,
      // one file: the parts the element loads lazily (the live sources) are inlined
      rolldownOptions: {
        output: { ...MINIFIED.rolldownOptions.output, codeSplitting: false },
      },
      lib: {
        entry: resolveFrom('src/lstm-forecast.ts'),
        formats: [format],
        name: 'LstmForecast',
        fileName: () => fileName,
      },
    },
  });
}

/**
 * Vite writes the CSP build's worker URL as new URL(new URL(`x.js`, import.meta.url).href,
 * `` + import.meta.url): right, but not the plain `new Worker(new URL('./x.js', import.meta.url))`
 * that a user's bundler (Vite, webpack 5) recognises and copies along. Rewrite it to that.
 */
const plainWorkerUrl: Plugin = {
  name: 'lstm-forecast:plain-worker-url',
  generateBundle(_, bundle) {
    const vite =
      /new URL\(new URL\(`(lstm-forecast\.worker\.js)`,import\.meta\.url\)\.href,``\+import\.meta\.url\)/;
    const chunk = bundle['lstm-forecast.js'];
    if (chunk?.type !== 'chunk' || !vite.test(chunk.code)) {
      throw new Error('csp build: the worker URL is not in the form this plugin rewrites');
    }
    chunk.code = chunk.code.replace(vite, 'new URL("./$1",import.meta.url)');
  },
};

/** The element for a strict CSP: the worker is emitted as a file beside the module. */
const csp: InlineConfig = base({
  base: './', // the worker's URL relative to the module, not to the page
  resolve: { alias: [noWasm] },
  plugins: [plainWorkerUrl, compactCss],
  worker: {
    rolldownOptions: { output: { entryFileNames: 'lstm-forecast.worker.js' } },
  },
  build: {
    outDir: 'dist/csp',
    assetsDir: '',
    ...MINIFIED,
    // the parts the element loads lazily (the live sources, persistence) as files beside it
    rolldownOptions: {
      output: { ...MINIFIED.rolldownOptions.output, chunkFileNames: 'lstm-forecast.[name].js' },
    },
    lib: {
      entry: resolveFrom('src/lstm-forecast.ts'),
      formats: ['es'],
      fileName: () => 'lstm-forecast.js',
    },
  },
});

/** The engine and core for Node: plain ES2022, not minified (stack traces stay readable). */
const core: InlineConfig = base({
  build: {
    outDir: 'dist',
    minify: false,
    lib: {
      entry: resolveFrom('worker/core-entry.ts'),
      formats: ['es'],
      fileName: () => 'core.js',
    },
  },
});

/**
 * The React wrapper. React and @lit/react stay imports; the element stays an import of
 * ./lstm-forecast.js, so a page that also imports 'lstm-forecast' defines the element once.
 */
const elementModule = resolveFrom('src/lstm-forecast.ts');
const externalElement: Plugin = {
  name: 'lstm-forecast:external-element',
  enforce: 'pre',
  async resolveId(source, importer, options) {
    if (!importer) return null;
    const resolved = await this.resolve(source, importer, { ...options, skipSelf: true });
    if (resolved?.id === elementModule) return { id: './lstm-forecast.js', external: true };
    return null;
  },
};
const react: InlineConfig = base({
  plugins: [externalElement],
  build: {
    outDir: 'dist',
    minify: false,
    lib: {
      entry: resolveFrom('src/react.ts'),
      formats: ['es'],
      fileName: () => 'react.js',
    },
    rolldownOptions: { external: ['react', '@lit/react'] },
  },
});

/**
 * The sources import without extensions (moduleResolution "bundler"), and tsc copies those
 * specifiers into the declarations as they are. TypeScript under "node16"/"nodenext" (and Node's
 * own rules for a "type": "module" package) wants the file named: './engine' must be
 * './engine/index.js', './chart' './chart.js'. Name them, in every .d.ts under `dir`.
 */
function nameDeclarationImports(dir: string): void {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      nameDeclarationImports(path);
      continue;
    }
    if (!name.endsWith('.d.ts')) continue;
    const text = readFileSync(path, 'utf8').replace(
      /(from\s+|import\()(['"])(\.{1,2}\/[^'"]*)\2/g,
      (whole, lead: string, quote: string, spec: string) => {
        if (/\.js$/.test(spec)) return whole;
        const target = join(dirname(path), spec);
        if (existsSync(`${target}.d.ts`)) return `${lead}${quote}${spec}.js${quote}`;
        if (existsSync(join(target, 'index.d.ts')))
          return `${lead}${quote}${spec}/index.js${quote}`;
        throw new Error(`${path}: no declaration for ${spec}`);
      },
    );
    writeFileSync(path, text);
  }
}

function run(command: string, args: string[]): void {
  const bin = resolveFrom(`node_modules/.bin/${command}`);
  const result = spawnSync(bin, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed (exit ${result.status ?? result.signal})`);
  }
}

const started = performance.now();
rmSync(resolveFrom('dist'), { recursive: true, force: true });
await buildKernels();
for (const config of [
  allInOne('es', 'lstm-forecast.js'),
  allInOne('iife', 'lstm-forecast.iife.js'),
  csp,
  core,
  react,
]) {
  await build(config);
}
run('tsc', ['-p', 'tsconfig.build.json']);
nameDeclarationImports(resolveFrom('dist/types'));
run('cem', ['analyze', '--quiet']);
// What tests compare against the sources to tell whether dist/ is current.
writeFileSync(resolveFrom('dist/.built'), `${new Date().toISOString()}\n`);
console.log(`built dist/ in ${((performance.now() - started) / 1000).toFixed(1)} s`);
