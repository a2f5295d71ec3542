import { defineConfig } from 'vitest/config';

// Integration tests start real servers with OpenCV worker threads: on 2 cores they run one
// file at a time, so that timing-sensitive checks are not starved by each other.
export default defineConfig({
  test: {
    root: new URL('..', import.meta.url).pathname,
    include: ['test/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    globalSetup: ['test/helpers/global-setup.ts'],
    // the watchdog ends a run whose worker is blocked outside JavaScript (see the file)
    reporters: ['default', './test/helpers/watchdog-reporter.ts'],
  },
});
