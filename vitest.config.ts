import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Each integration file starts its own moto server and emulator; two workers suit the 2-core machine.
    pool: 'forks',
    maxWorkers: 2,
  },
});
