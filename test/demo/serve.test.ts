// `npm run demo` as a user runs it: it starts without Vite's config warning, the first URL it
// prints (Vite's root one) leads to the demo, and stopping it by
// the PID of npm (a SIGTERM, as a process manager or a CI step sends) frees its port: no tsx or
// Vite left holding it.

import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function portTaken(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(true));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(false)));
  });
}

describe('npm run demo', () => {
  it('starts without warnings and frees its port when npm is sent SIGTERM', async () => {
    const port = await freePort();
    const npm = spawn('npm', ['run', 'demo', '--', '--port', String(port), '--no-open'], {
      cwd: root,
      env: { ...process.env, CI: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    npm.stdout.on('data', (d: Buffer) => (output += d.toString()));
    npm.stderr.on('data', (d: Buffer) => (output += d.toString()));
    try {
      const deadline = Date.now() + 90_000;
      while (!output.includes('Sensors:') && Date.now() < deadline && npm.exitCode === null) {
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(output, 'the demo started').toContain('Sensors:');
      expect(await portTaken(port), 'the demo listens').toBe(true);
      expect(output).not.toContain('configLoader');
      expect(output).not.toContain('without a file extension');
      // the first URL printed is Vite's root one: it leads to the demo, not to a 404
      expect(output).toContain(`http://localhost:${port}/demo/`);
      const home = await fetch(`http://localhost:${port}/`, { redirect: 'manual' });
      expect(home.status).toBe(302);
      expect(home.headers.get('location')).toBe('/demo/');
      const page = await fetch(`http://localhost:${port}/`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('lstm-forecast demo</title>');

      npm.kill('SIGTERM');
      let taken = true;
      for (let i = 0; i < 100 && taken; i++) {
        await new Promise((r) => setTimeout(r, 100));
        taken = await portTaken(port);
      }
      expect(taken, `port ${port} still held 10 s after npm was sent SIGTERM`).toBe(false);
    } finally {
      if (npm.exitCode === null) npm.kill('SIGKILL');
    }
  }, 120_000);
});
