import { configDefaults, defineConfig } from 'vitest/config';

// Two projects: unit tests live beside the code and need nothing running; integration tests
// under test/ share one real Kafka + Redis + schema registry started by the global setup.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['packages/*/src/**/*.test.ts', 'services/*/src/**/*.test.ts'],
          environment: 'node',
          // Missing system programs (Chromium for the browser tests …) stop the run at once.
          globalSetup: ['test/prerequisites-setup.ts'],
          // Unit tests run first (fast feedback), then the integration suites.
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          // On a Redis Cluster, after these: `npm run test:scale` (vitest.scale.config.ts).
          exclude: [...configDefaults.exclude, 'test/scale/**'],
          environment: 'node',
          globalSetup: ['test/prerequisites-setup.ts', 'test/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          // Suites share one broker; files run in a small pool so they do not starve it.
          maxWorkers: 2,
          fileParallelism: true,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
