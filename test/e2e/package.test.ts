// The package as a user gets it: `npm pack`, installed into a new project from the npm cache, then
// `lstm-forecast/core` in Node, the types through the package's exports, and the installed
// dist/lstm-forecast.js in the browser.

import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Browser } from 'playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  PAGES,
  ROOT,
  describe as describeRun,
  launchChromium,
  runPage,
  startStaticServer,
} from './support';

const run = promisify(execFile);

/**
 * npm for the child: the parent `npm test` leaves npm_config_local_prefix (this repository),
 * npm_package_* and npm_lifecycle_* in the environment, which would point npm back here.
 */
function npmEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^npm_(package_|lifecycle_|config_local_prefix|command)/i.test(k)) continue;
    env[k] = v;
  }
  return env;
}

async function npm(args: string[], cwd: string): Promise<string> {
  try {
    const { stdout } = await run('npm', args, { cwd, env: npmEnv(), maxBuffer: 64 << 20 });
    return stdout;
  } catch (e) {
    const { stdout, stderr } = e as { stdout?: string; stderr?: string };
    throw new Error(`npm ${args.join(' ')} failed in ${cwd}:\n${stderr ?? ''}\n${stdout ?? ''}`, {
      cause: e,
    });
  }
}

let tmp: string;
let app: string;
let packed: { filename: string; files: { path: string }[] };
let installSeconds = 0;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'lstm-forecast-pack-'));
  // dist/ is current (test/e2e/setup.ts), so pack it as it is rather than build again.
  const out = await npm(['pack', '--ignore-scripts', '--json', '--pack-destination', tmp], ROOT);
  packed = (JSON.parse(out) as (typeof packed)[])[0];

  app = join(tmp, 'app');
  await mkdir(app);
  await writeFile(
    join(app, 'package.json'),
    JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, type: 'module' }),
  );
  const started = performance.now();
  // From the npm cache: lit, comlink, uplot, idb-keyval and @lit/react are there after `npm ci`.
  await npm(
    [
      'install',
      '--prefer-offline',
      '--no-audit',
      '--no-fund',
      '--ignore-scripts',
      join(tmp, packed.filename),
    ],
    app,
  );
  installSeconds = (performance.now() - started) / 1000;
}, 180_000);

afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('npm pack, installed into a new project', () => {
  it('packs the builds, the declarations, the manifest, README and LICENSE, and no sources', () => {
    const files = packed.files.map((f) => f.path);
    for (const f of [
      'package.json',
      'README.md',
      'LICENSE',
      'custom-elements.json',
      'dist/lstm-forecast.js',
      'dist/lstm-forecast.iife.js',
      'dist/csp/lstm-forecast.js',
      'dist/csp/lstm-forecast.worker.js',
      'dist/core.js',
      'dist/react.js',
      'dist/types/src/lstm-forecast.d.ts',
      'dist/types/src/react.d.ts',
      'dist/types/worker/core-entry.d.ts',
    ]) {
      expect(files, `${f} in the tarball`).toContain(f);
    }
    const stray = files.filter((f) => !/^(dist\/|package\.json$|README|LICENSE|custom-)/.test(f));
    expect(stray, 'files outside dist/ and the docs').toEqual([]);
    expect(files).not.toContain('dist/.built');
    console.log(`npm install of the tarball took ${installSeconds.toFixed(1)} s`);
  });

  it('names its repository, and the README links images by absolute URLs (npm shows no relative ones)', async () => {
    const pkg = JSON.parse(
      await readFile(join(app, 'node_modules/lstm-forecast/package.json'), 'utf8'),
    ) as {
      repository?: { type?: string; url?: string };
    };
    expect(pkg.repository?.type).toBe('git');
    const repo = /github\.com\/([^/]+\/[^/.]+)(?:\.git)?$/.exec(pkg.repository?.url ?? '');
    expect(repo, `repository.url ${pkg.repository?.url}`).not.toBeNull();
    const readme = await readFile(join(app, 'node_modules/lstm-forecast/README.md'), 'utf8');
    const images = [...readme.matchAll(/!\[[^\]]*\]\(([^)]+)\)/g)].map((m) => m[1]);
    expect(images.length).toBeGreaterThan(0);
    for (const src of images) {
      expect(src, 'an image of the README').toMatch(
        new RegExp(`^https://raw\\.githubusercontent\\.com/${repo![1]}/`),
      );
    }
  });

  it('resolves every export to a file that exists', async () => {
    const script = `
      const out = {};
      for (const s of ['lstm-forecast', 'lstm-forecast/core', 'lstm-forecast/react',
        'lstm-forecast/csp', 'lstm-forecast/iife', 'lstm-forecast/custom-elements.json']) {
        out[s] = import.meta.resolve(s);
      }
      console.log(JSON.stringify(out));`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
      cwd: app,
    });
    const resolved = JSON.parse(stdout) as Record<string, string>;
    for (const [specifier, url] of Object.entries(resolved)) {
      expect(existsSync(new URL(url)), `${specifier} -> ${url}`).toBe(true);
    }
    expect(resolved['lstm-forecast']).toMatch(/\/dist\/lstm-forecast\.js$/);
    expect(resolved['lstm-forecast/core']).toMatch(/\/dist\/core\.js$/);
  });

  it('ships a Custom Elements Manifest that describes the element in dist/', async () => {
    interface Manifest {
      modules: {
        path: string;
        declarations?: {
          tagName?: string;
          attributes?: { name: string }[];
          events?: { name: string }[];
          cssParts?: unknown[];
          cssProperties?: unknown[];
        }[];
      }[];
    }
    const pkg = join(app, 'node_modules/lstm-forecast');
    const manifest = JSON.parse(
      await readFile(join(pkg, 'custom-elements.json'), 'utf8'),
    ) as Manifest;
    const mod = manifest.modules.find((m) => m.declarations?.some((d) => d.tagName));
    const element = mod?.declarations?.find((d) => d.tagName === 'lstm-forecast');
    expect(mod?.path).toBe('dist/lstm-forecast.js');
    expect(existsSync(join(pkg, mod!.path))).toBe(true);
    expect(element?.events?.map((e) => e.name).sort()).toEqual([
      'anomaly',
      'forecast',
      'forecast-error',
      'ready',
      'stale',
      'threshold',
      'train',
    ]);
    expect(element?.attributes?.map((a) => a.name)).toContain('hidden-size');
    expect(element?.cssParts?.length).toBeGreaterThan(0);
    expect(element?.cssProperties?.length).toBeGreaterThan(0);
  });

  it("import { Forecaster } from 'lstm-forecast/core' forecasts in Node", async () => {
    const script = `
      import { Forecaster, LSTM } from 'lstm-forecast/core';
      const f = new Forecaster({ horizon: 6, seed: 1 });
      for (let i = 0; i < 300; i++) f.push(20 + 5 * Math.sin((2 * Math.PI * i) / 24), i);
      const { mean, lower, upper, ready } = f.forecast();
      const lstm = new LSTM({ inputSize: 1, hiddenSize: 4, seed: 1 });
      console.log(JSON.stringify({ ready, mean: [...mean], lower: [...lower], upper: [...upper],
        stats: f.stats().trainSteps, lstm: typeof lstm.forward }));`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
      cwd: app,
    });
    const r = JSON.parse(stdout) as {
      ready: boolean;
      mean: number[];
      lower: number[];
      upper: number[];
      stats: number;
      lstm: string;
    };
    expect(r.ready, stdout).toBe(true);
    expect(r.mean).toHaveLength(6);
    for (let k = 0; k < 6; k++) {
      expect(r.mean[k], `mean at step ${k}: ${stdout}`).toBeGreaterThan(10);
      expect(r.mean[k], `mean at step ${k}: ${stdout}`).toBeLessThan(30);
      expect(r.lower[k], `lower <= mean at step ${k}`).toBeLessThanOrEqual(r.mean[k]);
      expect(r.upper[k], `mean <= upper at step ${k}`).toBeGreaterThanOrEqual(r.mean[k]);
    }
    expect(r.stats, 'training steps taken').toBeGreaterThan(0);
    expect(r.lstm).toBe('function');
  });

  it('gives TypeScript the types through the exports (moduleResolution nodenext)', async () => {
    await writeFile(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'nodenext',
          moduleResolution: 'nodenext',
          target: 'es2022',
          lib: ['es2022', 'dom'],
          strict: true,
          noEmit: true,
          skipLibCheck: false,
          types: [],
        },
        files: ['consumer.ts'],
      }),
    );
    await writeFile(
      join(app, 'consumer.ts'),
      `import { Forecaster, type ForecasterOptions } from 'lstm-forecast/core';
import type { ForecastEventDetail, LstmForecast } from 'lstm-forecast';

const options: ForecasterOptions = { horizon: 4, seed: 1 };
const mean: Float64Array = new Forecaster(options).forecast().mean;
// @ts-expect-error horizon is a number: fails to compile if the types were missing (any)
const wrong: ForecasterOptions = { horizon: 'four' };

declare const el: LstmForecast;
el.pushMany([1, 2, 3]);
el.addEventListener('forecast', (e) => {
  const detail: ForecastEventDetail = e.detail;
  console.log(detail.mean, mean, wrong);
});
const tagged: LstmForecast = document.createElement('lstm-forecast');
console.log(tagged.horizon.toFixed());
`,
    );
    const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
    const result = await run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: app }).then(
      () => '',
      (e: { stdout?: string }) => e.stdout ?? String(e),
    );
    expect(result, 'tsc errors').toBe('');
  });

  it("a Vite app: import 'lstm-forecast', and 'lstm-forecast/csp' under default-src 'self'", async () => {
    // The user's bundler meets the package: the main entry needs no worker set-up (the worker is
    // inlined), and the CSP entry's `new Worker(new URL('./lstm-forecast.worker.js',
    // import.meta.url))` is recognised, so the worker is emitted as a file of the app.
    const vite = join(ROOT, 'node_modules/vite/bin/vite.js');
    const page = (await readFile(join(PAGES, 'csp.html'), 'utf8'))
      .replaceAll('{{BUNDLE}}', './main.js')
      .replace('/page.css', './page.css')
      .replace('/page.js', './page.js');
    const built: Record<string, string> = {};
    for (const [name, specifier] of [
      ['main', 'lstm-forecast'],
      ['csp', 'lstm-forecast/csp'],
    ]) {
      const src = join(app, `web-${name}`);
      await mkdir(src);
      await writeFile(join(src, 'index.html'), page);
      await writeFile(join(src, 'main.js'), `import '${specifier}';\n`);
      await copyFile(join(PAGES, 'page.js'), join(src, 'page.js'));
      await copyFile(join(PAGES, 'page.css'), join(src, 'page.css'));
      built[name] = join(app, `out-${name}`);
      await run(
        process.execPath,
        [vite, 'build', src, '--outDir', built[name], '--emptyOutDir', '--logLevel', 'warn'],
        { cwd: app },
      );
    }
    const plain = await startStaticServer({ mounts: { '/': built.main } });
    const strict = await startStaticServer({
      mounts: { '/': built.csp },
      headers: { 'content-security-policy': "default-src 'self'; report-uri /csp-report" },
    });
    let browser: Browser | null = null;
    try {
      browser = await launchChromium();
      for (const origin of [plain.origin, strict.origin]) {
        const page = await runPage(browser, `${origin}/index.html`);
        const context = describeRun(page);
        expect(page.report?.errors, context).toEqual([]);
        expect(page.report?.forecasts, context).toBeGreaterThan(0);
        expect(page.ink, context).toBeGreaterThan(500);
        expect(page.violations, context).toEqual([]);
      }
      expect(strict.cspReports).toEqual([]);
    } finally {
      await browser?.close();
      await Promise.all([plain.close(), strict.close()]);
    }
  });

  it('the installed dist/lstm-forecast.js works in a page on another origin', async () => {
    const cdn = await startStaticServer({
      mounts: { '/': join(app, 'node_modules/lstm-forecast/dist') },
      headers: { 'access-control-allow-origin': '*' },
    });
    const site = await startStaticServer({ mounts: { '/': PAGES }, vars: { CDN: cdn.origin } });
    let browser: Browser | null = null;
    try {
      browser = await launchChromium();
      const page = await runPage(browser, `${site.origin}/cdn.html`);
      const context = describeRun(page);
      expect(page.pageErrors, context).toEqual([]);
      expect(page.report?.errors, context).toEqual([]);
      expect(page.report?.forecasts, context).toBeGreaterThan(0);
      expect(page.ink, context).toBeGreaterThan(500);
    } finally {
      await browser?.close();
      await Promise.all([cdn.close(), site.close()]);
    }
  });
});
