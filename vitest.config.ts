import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Builds dist/ first: the audit worker thread runs compiled code (test/setup/build-dist.ts).
    globalSetup: ['test/setup/build-dist.ts'],
    // Integration tests share the local PostgreSQL and spawn real clients: keep files serial.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
