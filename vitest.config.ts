import { defineConfig } from 'vitest/config';

// A file's project is decided by its name alone (test/README.md): `*.int.test.ts` starts real
// services, child processes, PTYs or a browser; every other test file is a unit test, in-process,
// and test/helpers/unit-guard.ts refuses child processes and listening sockets there.
const INTEGRATION = 'test/**/*.int.test.ts';

export default defineConfig({
  test: {
    // Real services (influxd, broker, PTYs) start per file; keep the 2-core CI machine calm.
    fileParallelism: true,
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ['default'],
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: [INTEGRATION],
          setupFiles: ['test/helpers/unit-guard.ts'],
        },
      },
      { extends: true, test: { name: 'integration', include: [INTEGRATION] } },
    ],
  },
});
