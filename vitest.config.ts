import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

// A file's project is decided by its name alone (test/README.md): `*.int.test.ts` starts real
// services, child processes, PTYs or a browser; every other test file is a unit test, in-process,
// and test/helpers/unit-guard.ts refuses child processes and listening sockets there.
const INTEGRATION = 'test/**/*.int.test.ts';

/**
 * The order files start in. With the durations of a past run (vitest's cache in node_modules/.vite)
 * vitest starts the longest files first; without them, as on CI's fresh clone, the largest. The
 * files of test/e2e/ are small but run whole stacks for 30-60 s (faults, server-sigkill, start):
 * by size they came last, one worker running them alone while the other had nothing left to run.
 * Without durations they start first, so that the run ends on short files on both workers.
 */
class ScenariosFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    if (files.every((f) => this.ctx.cache.getTestSpecificationResult(f))) return sorted;
    const scenario = (f: TestSpecification) => f.moduleId.includes('/test/e2e/');
    return [...sorted.filter(scenario), ...sorted.filter((f) => !scenario(f))];
  }
}

export default defineConfig({
  test: {
    // Real services (influxd, broker, PTYs) start per file; keep the 2-core CI machine calm.
    fileParallelism: true,
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ['default'],
    sequence: { sequencer: ScenariosFirst },
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
      {
        extends: true,
        test: {
          name: 'integration',
          include: [INTEGRATION],
          // What a test polls for crosses processes (broker, server, a browser's reload): 1 s,
          // vitest's default, is shorter than one round on the loaded 2-core CI machine.
          expect: { poll: { timeout: 10_000, interval: 100 } },
        },
      },
    ],
  },
});
