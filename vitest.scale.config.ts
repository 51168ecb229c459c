import { defineConfig } from 'vitest/config';

// The scale tests (`npm run test:scale`, run by .ci/run after `npm test`): Pulse on a real
// local Redis Cluster (3 masters + 3 replicas) with three profiler processes, against the
// oracle, while slots move, a master dies and profilers come and go. One file at a time: the
// failover kills a master every suite would share.
export default defineConfig({
  test: {
    name: 'scale',
    include: ['test/scale/**/*.test.ts'],
    environment: 'node',
    globalSetup: ['test/prerequisites-setup.ts', 'test/scale/global-setup.ts'],
    testTimeout: 240_000,
    hookTimeout: 180_000,
    fileParallelism: false,
    maxWorkers: 1,
  },
});
