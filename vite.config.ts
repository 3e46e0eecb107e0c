import { playwright } from '@vitest/browser-playwright';
import type { Plugin } from 'vite';
import { defineConfig } from 'vitest/config';
// test/browser/global-setup.ts fails the run with install instructions when CHROMIUM_PATH does
// not exist.
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './scripts/chromium.ts';

const DEMO_PATH = '/demo/';

/** Open a browser only on a desktop: not in CI, not on a Linux box without a display. */
function canOpenBrowser(): boolean {
  if (process.env.CI) return false;
  if (process.platform !== 'linux') return true;
  return Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY);
}

/**
 * The dev server serves the repository root and the demo lives under /demo/: Vite prints the root
 * URL, so the root redirects to the demo (a user clicks the first URL printed) and the demo's own
 * URL is printed after Vite's.
 */
function demoAtRoot(): Plugin {
  return {
    name: 'lstm-forecast:demo-at-root',
    // the dev server only, not Vitest's (mode 'test'): its browser mode has pages of its own
    apply: (_, env) => env.command === 'serve' && env.mode !== 'test',
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        if (req.url !== '/') return next();
        res.statusCode = 302;
        res.setHeader('Location', DEMO_PATH);
        res.end();
      });
      const printUrls = server.printUrls.bind(server);
      server.printUrls = () => {
        printUrls();
        const local = server.resolvedUrls?.local[0];
        if (local) server.config.logger.info(`  ➜  Demo:    ${new URL(DEMO_PATH, local).href}`);
      };
    },
  };
}

// The dev server serves the repository root, so /demo/ and every module are reachable.
export default defineConfig({
  root: '.',
  plugins: [demoAtRoot()],
  server: {
    open: canOpenBrowser() ? DEMO_PATH : false,
  },
  worker: {
    format: 'es',
  },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'node',
          environment: 'node',
          include: ['test/**/*.test.ts'],
          exclude: ['test/browser/**', 'test/e2e/**', '**/node_modules/**'],
          globalSetup: ['test/support/wasm-setup.ts'],
          pool: 'forks',
          // The engine's tests train real networks: seconds each alone, many times that on a
          // shared, busy machine. A generous cap, not a measurement (no test asserts a time).
          testTimeout: 90_000,
          // globalThis.gc lets memory and allocation tests force a collection.
          execArgv: ['--expose-gc'],
        },
      },
      {
        extends: true,
        test: {
          name: 'browser',
          include: ['test/browser/**/*.test.ts'],
          globalSetup: [
            'test/support/wasm-setup.ts',
            'test/browser/global-setup.ts',
            'test/support/feed-setup.ts',
          ],
          browser: {
            enabled: true,
            headless: true,
            screenshotFailures: false,
            provider: playwright({
              launchOptions: {
                executablePath: CHROMIUM_PATH,
                args: CHROMIUM_ARGS,
              },
            }),
            instances: [{ browser: 'chromium' }],
          },
        },
      },
      {
        // The built package end to end (test/e2e/): pages on one origin loading dist/ from
        // another, a strict CSP, the classic script, `npm pack` installed into a new project.
        // Node drives its own Chromium through Playwright. Runs after the other projects, so
        // their timing-sensitive tests never share the two cores with it.
        extends: true,
        test: {
          name: 'e2e',
          environment: 'node',
          include: ['test/e2e/**/*.test.ts'],
          globalSetup: ['test/support/wasm-setup.ts', 'test/e2e/setup.ts'],
          sequence: { groupOrder: 1 },
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
