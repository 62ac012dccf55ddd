// Lint for what the compiler does not catch in money code: promises nobody awaits, awaited
// non-promises, misused async callbacks. Type-aware, through the TypeScript project service, for
// the TypeScript of every workspace (packages, examples, bench); plain JavaScript, config files and
// scripts outside a tsconfig get the same rules without type information. Formatting is Prettier's.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/.turbo/**', 'bench/results/**', '.wallet-data/**', 'packages/wallet-server/vendor/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: globals.node,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-control-regex': 'off',
    },
  },
  {
    // The operator console's script runs in the browser.
    files: ['packages/wallet-server/console/**/*.js'],
    languageOptions: { globals: globals.browser },
  },
  {
    // Outside every tsconfig: no type information to lint with.
    files: ['**/*.js', '**/*.mjs', '**/*.config.ts', 'scripts/**'],
    ...tseslint.configs.disableTypeChecked,
  },
);
