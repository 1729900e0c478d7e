import { defineConfig } from 'vitest/config';

// Unit tests: pure logic, no cluster. e2e tests have their own config (vitest.e2e.config.ts).
export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts'],
    environment: 'node',
  },
});
