import type { TestProject } from 'vitest/node';
import { startFeedServer } from './feed-server';

/**
 * Browser project globalSetup: start the feed server of test/support/feed-server.ts for the run
 * and hand its URL to the tests, which read it with `inject('feedUrl')`.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const feed = await startFeedServer();
  project.provide('feedUrl', feed.url);
  return () => feed.close();
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** http://127.0.0.1:PORT of the feed server (test/support/feed-server.ts). */
    feedUrl: string;
  }
}
