import { defineConfig } from 'vitest/config';

// Two projects: `unit` (fast, beside the code: packages/*/src/**/*.test.ts) and
// `integration` (real components started by the test: packages/*/test/**, tests/**).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['packages/*/src/**/*.test.ts'],
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['packages/*/test/**/*.test.ts', 'tests/**/*.test.ts'],
          testTimeout: 600_000,
          hookTimeout: 900_000,
          // Real servers, JVMs and Python peers: one file at a time keeps a 2-core machine responsive.
          pool: 'forks',
          poolOptions: { forks: { singleFork: true } },
        },
      },
    ],
  },
});
