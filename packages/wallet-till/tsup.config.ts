import { defineConfig } from 'tsup';

// No shims: the main entry runs in a browser tab as well as in Node, so nothing Node-only may be
// added to it (a test reads the built files to keep it so). `testing` (a TCP proxy) is Node's alone.
export default defineConfig({
  entry: { index: 'src/index.ts', 'testing/index': 'src/testing/index.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'es2022',
  external: ['@electric-sql/pglite', '@goodgo/wallet-core'],
});
