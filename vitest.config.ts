import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { tsconfigPaths: true },
  test: {
    include: ['libs/**/*.spec.ts', 'tools/**/*.spec.ts', 'tests/**/*.spec.ts'],
    // Real kubeconform, real git and real Nx runs: seconds, not milliseconds.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    reporters: ['default', 'json'],
    outputFile: { json: '.vitest/results.json' },
  },
});
