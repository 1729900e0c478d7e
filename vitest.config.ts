import { defineConfig } from 'vitest/config';

// Unit tests: pure logic, no cluster. e2e tests have their own config (vitest.e2e.config.ts).
export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts'],
    environment: 'node',
    // A ceiling, not a measure: some unit tests spawn the CLI, helm or promtool, and on 2 busy cores
    // (the e2e cluster and a build beside them) one such spawn took 8 s of wall time for 1.5 s of CPU.
    // Vitest's 5 s default then failed them for the machine's load, not for what they check.
    testTimeout: 30_000,
  },
});
