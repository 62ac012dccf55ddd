import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts', 'node-postgres/index': 'src/node-postgres/index.ts', 'pglite/index': 'src/pglite/index.ts', testing: 'src/testing.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  shims: true,
  target: 'node20',
  external: ['pg', '@electric-sql/pglite', '@goodgo/wallet-core'],
});
