// The whole demo in one call: the sensor server, and Vite's dev server with the repository's
// vite.config.ts, the sensors proxied at /sensors (SSE and WebSocket) so the page talks to one
// origin. Used by `npm run demo` (demo/serve.ts) and `npm run screenshot`.

import { fileURLToPath } from 'node:url';
import { createLogger, createServer, type Logger, type ViteDevServer } from 'vite';
import { startSensorServer, type SensorServer } from './sensors';

export interface DemoOptions {
  /** Readings per second per sensor. */
  rate?: number;
  /** Vite's port; default vite.config.ts's (5173, or the next free one). */
  port?: number;
  /** Vite's host; default localhost only. */
  host?: string;
  /** false: never open a browser; true/undefined: as vite.config.ts says (a desktop, not CI). */
  open?: boolean;
  /** Vite's log level; 'silent' for scripts. */
  logLevel?: 'info' | 'warn' | 'error' | 'silent';
}

export interface Demo {
  vite: ViteDevServer;
  sensors: SensorServer;
  /** The dashboard's address, e.g. http://localhost:5173/demo/. */
  url: string;
  close(): Promise<void>;
}

/**
 * Vite's logger, less the stack traces Vite prints when a browser drops a proxied connection
 * without closing it (a killed tab, a headless browser closed): a reset sensor stream is no news.
 */
function quietLogger(level: DemoOptions['logLevel']): Logger {
  const logger = createLogger(level);
  const error = logger.error.bind(logger);
  logger.error = (msg, options) => {
    const code = (options?.error as NodeJS.ErrnoException | null | undefined)?.code;
    if (msg.includes('proxy') && (code === 'ECONNRESET' || code === 'EPIPE')) return;
    error(msg, options);
  };
  return logger;
}

export async function startDemo(options: DemoOptions = {}): Promise<Demo> {
  const sensors = await startSensorServer({ rate: options.rate });
  let vite: ViteDevServer;
  try {
    vite = await createServer({
      root: fileURLToPath(new URL('../..', import.meta.url)),
      configFile: fileURLToPath(new URL('../../vite.config.ts', import.meta.url)),
      customLogger: quietLogger(options.logLevel),
      // Bundled up front, so the first visit to demo/react/ does not reload to optimise them.
      optimizeDeps: {
        include: ['react', 'react-dom/client', 'react/jsx-dev-runtime', '@lit/react'],
      },
      server: {
        port: options.port,
        host: options.host,
        // undefined keeps vite.config.ts's choice: open on a desktop, never in CI or headless
        open: options.open === false ? false : undefined,
        proxy: { '/sensors': { target: sensors.url, ws: true } },
      },
    });
    await vite.listen();
  } catch (e) {
    await sensors.close();
    throw e;
  }
  const base = vite.resolvedUrls?.local[0] ?? `http://localhost:${vite.config.server.port}/`;
  return {
    vite,
    sensors,
    url: new URL('/demo/', base).href,
    async close() {
      await Promise.allSettled([vite.close(), sensors.close()]);
    },
  };
}
