import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Rebuilds dist/ first if any src/ file is newer (the CLI tests never run a stale build),
    // and imports the fixture contracts once for the tests that copy that store.
    globalSetup: ['test/support/globalSetup.ts'],
    // Time-outs only catch a hang: a file of fifteen CLI runs on a loaded 2-core machine can
    // take minutes, and no test asserts a duration.
    testTimeout: 180_000,
    hookTimeout: 180_000,
    pool: 'forks',
    // Most files wait on child processes (the CLI, supplier serve) rather than compute, so
    // three forks on these 2-core machines keep both cores busy; vitest's default here is one.
    maxWorkers: 3,
    // The supplier is never implied (cli.md): the suite names the in-process simulator
    // once, here, for every CLI it runs; tests that link elsewhere pass --supplier URL,
    // and test/orders/supplierNamed.cli.test.ts runs without it.
    env: { KAIYAKU_SUPPLIER: 'sim' },
  },
});
