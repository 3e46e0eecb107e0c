// `npm run demo`: the sensor server (demo/server/sensors.ts) and Vite's dev server with the
// repository's vite.config.ts, the sensors proxied at /sensors (SSE and WebSocket) so the page
// talks to one origin. Ctrl-C (or SIGTERM) stops both.
//
//   npm run demo -- --rate 20      readings per second per sensor (the page can change it too)
//   npm run demo -- --port 8080    Vite's port (default 5173, or the next free one)
//   npm run demo -- --host         listen on every interface, not just localhost
//   npm run demo -- --no-open      never open a browser (it opens only on a desktop, never in CI)

import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createServer, type ViteDevServer } from 'vite';
import { DEFAULT_RATE, MAX_RATE, MIN_RATE, startSensorServer } from './server/sensors';

const root = fileURLToPath(new URL('..', import.meta.url));

function usage(message: string): never {
  console.error(
    `${message}\nusage: npm run demo -- [--rate N] [--port N] [--host [ADDR]] [--no-open]`,
  );
  process.exit(2);
}

function parse() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        rate: { type: 'string' },
        port: { type: 'string' },
        host: { type: 'string' },
        'no-open': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      // `--host` alone means every interface, as in Vite's CLI.
      args: process.argv
        .slice(2)
        .map((a, i, all) =>
          a === '--host' && (i === all.length - 1 || all[i + 1].startsWith('--'))
            ? '--host=0.0.0.0'
            : a,
        ),
    }));
  } catch (e) {
    usage((e as Error).message);
  }
  if (values.help) usage('Starts the demo: the simulated sensors and the Vite dev server.');
  const rate = values.rate === undefined ? DEFAULT_RATE : Number(values.rate);
  if (!Number.isFinite(rate) || rate < MIN_RATE || rate > MAX_RATE) {
    usage(`--rate must be a number in [${MIN_RATE}, ${MAX_RATE}], found ${values.rate}`);
  }
  const port = values.port === undefined ? undefined : Number(values.port);
  if (port !== undefined && !(Number.isInteger(port) && port > 0 && port < 65536)) {
    usage(`--port must be a port number, found ${values.port}`);
  }
  return { rate, port, host: values.host, open: !values['no-open'] };
}

async function main(): Promise<void> {
  const args = parse();
  const sensors = await startSensorServer({ rate: args.rate });
  let vite: ViteDevServer;
  try {
    vite = await createServer({
      root,
      configFile: fileURLToPath(new URL('../vite.config.ts', import.meta.url)),
      server: {
        port: args.port,
        host: args.host,
        // undefined keeps vite.config.ts's choice: open on a desktop, never in CI or headless
        open: args.open ? undefined : false,
        proxy: { '/sensors': { target: sensors.url, ws: true } },
      },
    });
    await vite.listen();
  } catch (e) {
    await sensors.close();
    throw e;
  }

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) process.exit(1); // a second Ctrl-C: do not wait
    stopping = true;
    vite.config.logger.info(`\n${signal}: stopping the demo`);
    await Promise.allSettled([vite.close(), sensors.close()]);
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));

  vite.printUrls();
  const n = sensors.catalogue();
  vite.config.logger.info(
    `  ➜  Sensors: ${n.simulated.length} simulated and ${n.replay.length} replayed series at ` +
      `${sensors.rate} readings/s each, at /sensors (SSE and WebSocket; server ${sensors.url})`,
  );
  if (process.stdin.isTTY) vite.bindCLIShortcuts({ print: true });
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
