import { defineConfig } from 'vitest/config';

// One project per package: `npm test` at the root runs them all, `vitest --project wallet-pg` one.
export default defineConfig({
  test: {
    projects: [
      { test: { name: 'wallet-core', root: './packages/wallet-core', include: ['test/**/*.test.ts'] } },
      {
        test: {
          name: 'wallet-pg',
          root: './packages/wallet-pg',
          include: ['test/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: 'wallet-relay',
          root: './packages/wallet-relay',
          include: ['test/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: 'wallet-server',
          root: './packages/wallet-server',
          include: ['test/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: 'wallet-till',
          root: './packages/wallet-till',
          include: ['test/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      { test: { name: 'examples', root: './examples', include: ['*/test/**/*.test.ts'], testTimeout: 60_000 } },
    ],
  },
});
