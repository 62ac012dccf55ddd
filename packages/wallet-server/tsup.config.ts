import { defineConfig } from 'tsup';

export default defineConfig([
  {
    entry: { index: 'src/index.ts' },
    format: ['esm', 'cjs'],
    dts: true,
    clean: true,
    sourcemap: true,
    shims: true,
    target: 'node20',
  },
  {
    // The binaries: ESM only (top-level await).
    entry: { main: 'src/main.ts', token: 'src/token-cli.ts', reconcile: 'src/reconcile-cli.ts' },
    format: ['esm'],
    sourcemap: true,
    target: 'node20',
  },
]);
