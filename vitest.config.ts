import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/browser/global-setup.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Two test files at a time. Vitest's default is one fewer than the cores: one file at a time on this 2-core
    // machine, and much of a file's time is spent waiting on spawned processes, servers and browsers. Measured on
    // test/cli + test/install (15 files, a loaded machine): 835 s with one worker, 573 s with two.
    maxWorkers: 2,
  },
});
