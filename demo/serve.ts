// `npm run demo`: the sensor server and Vite's dev server (demo/server/start.ts), until Ctrl-C,
// a SIGTERM, or the end of the process that started it (npm).
//
//   npm run demo -- --rate 20      readings per second per sensor (the page can change it too)
//   npm run demo -- --port 8080    Vite's port (default 5173, or the next free one)
//   npm run demo -- --host         listen on every interface, not just localhost
//   npm run demo -- --no-open      never open a browser (it opens only on a desktop, never in CI)

import { parseArgs } from 'node:util';
import { DEFAULT_RATE, MAX_RATE, MIN_RATE } from './server/sensors';
import { startDemo } from './server/start';

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
          a === '--host' && (i === all.length - 1 || all[i + 1].startsWith('-'))
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
  const demo = await startDemo(parse());
  const { vite, sensors } = demo;

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) process.exit(1); // a second Ctrl-C: do not wait
    stopping = true;
    vite.config.logger.info(`\n${signal}: stopping the demo`);
    await demo.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGHUP', () => void stop('SIGHUP'));
  // `npm run demo` runs this under `sh -c`: a SIGTERM to npm's PID ends npm and the shell but
  // reaches no further, and the ports would stay held by an orphan. The script runs in this very
  // process (`node --import tsx`, no tsx launcher in between), so when its parent goes, so do we.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) void stop('parent exited');
  }, 500).unref();

  vite.printUrls(); // vite.config.ts adds the demo's own line: ➜  Demo: http://…/demo/
  const cat = sensors.catalogue();
  vite.config.logger.info(
    `  ➜  Sensors: ${cat.simulated.length} simulated and ${cat.replay.length} replayed series, ` +
      `${sensors.rate} readings/s each, at /sensors over SSE and WebSocket (${sensors.url})`,
  );
  if (process.stdin.isTTY) vite.bindCLIShortcuts({ print: true });
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
