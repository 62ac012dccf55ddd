import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  shims: true,
  target: 'node20',
  external: ['amqplib', 'standardwebhooks', '@goodgo/wallet-core', '@goodgo/wallet-pg'],
});
