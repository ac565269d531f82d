import { defineConfig } from 'vitest/config';

// Two projects so that unit runs never pay for the registries:
//  - unit:        everything under test/ except test/integration/
//  - integration: test/integration/, with the Verdaccio globalSetup
//                 (test/helpers/global-setup.ts), one file at a time.
export default defineConfig({
  test: {
    testTimeout: 120_000,
    hookTimeout: 120_000,
    teardownTimeout: 30_000,
    // The JSON summary lets .ci/run print the plain "N passed, N failed" line CI reads.
    reporters: ['default', ['json', { outputFile: '.tmp/vitest-results.json' }]],
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: ['test/integration/**', 'test/fixtures/**', '**/node_modules/**'],
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          exclude: ['test/fixtures/**', '**/node_modules/**'],
          globalSetup: ['test/helpers/global-setup.ts'],
          fileParallelism: false,
        },
      },
    ],
  },
});
