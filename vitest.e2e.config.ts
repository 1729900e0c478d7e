import { defineConfig } from 'vitest/config';

// e2e tests talk to a real API server: the local KWOK cluster (brought up on demand by the
// global setup) or any cluster named by E2E_KUBECONFIG. Files run one at a time; tests inside a
// file may run concurrently, each in its own namespace.
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.test.ts'],
    globalSetup: ['test/e2e/support/global-setup.ts'],
    environment: 'node',
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 600_000,
    teardownTimeout: 120_000,
  },
});
