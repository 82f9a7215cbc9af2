import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // The supplier is never implied (cli.md): the suite names the in-process simulator
    // once, here, for every CLI it runs; tests that link elsewhere pass --supplier URL,
    // and test/linkage/supplierNamed.cli.test.ts runs without it.
    env: { KAIYAKU_SUPPLIER: 'sim' },
  },
});
