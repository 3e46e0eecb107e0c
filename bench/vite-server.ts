// The dev server the browser benchmarks load their page from (bench:browser, bench:soak).

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer, type ViteDevServer } from 'vite';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The dev server, with no file watching and no HMR: an edit elsewhere in the repository must not
 * reload the page mid-run. Unless `dev`, packages resolve with the "production" condition, as in
 * a build (Lit's development build runs extra checks and warns that it is not for production).
 * Returns the URL of `pagePath` (e.g. '/bench/browser/') on it.
 */
export async function startVite(
  dev: boolean,
  pagePath: string,
  /**
   * Packages to pre-bundle before the page loads: those only a worker imports, dynamically, which
   * Vite's scan does not find; found mid-run, Vite re-optimises and the import fails once.
   */
  include: string[] = [],
): Promise<{ server: ViteDevServer; url: string }> {
  const server = await createServer({
    configFile: path.join(ROOT, 'vite.config.ts'),
    root: ROOT,
    // its own cache of pre-bundled packages: other conditions than a dev server's, and no race
    // with a dev server or browser test running meanwhile
    cacheDir: path.join(ROOT, 'node_modules/.vite-bench-browser'),
    logLevel: 'warn',
    clearScreen: false,
    server: { port: 0, host: '127.0.0.1', open: false, hmr: false, watch: null },
    optimizeDeps: { include },
    ...(dev ? {} : { resolve: { conditions: ['module', 'browser', 'production'] } }),
  });
  await server.listen();
  const address = server.httpServer?.address();
  if (!address || typeof address === 'string') throw new Error('vite: the server has no port');
  return { server, url: `http://127.0.0.1:${address.port}${pagePath}` };
}
