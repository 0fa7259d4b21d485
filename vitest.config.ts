import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Real services (influxd, broker, PTYs) start per file; keep the 2-core CI machine calm.
    fileParallelism: true,
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    include: ['test/**/*.test.ts'],
    reporters: ['default'],
  },
});
