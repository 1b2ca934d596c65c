// Lint rules: typescript-eslint's recommended set plus the few rules that keep the layering honest.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', 'coverage/**', 'dist/**', '**/*.d.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', setImmediate: 'readonly', performance: 'readonly', AbortController: 'readonly', TextEncoder: 'readonly', TextDecoder: 'readonly', fetch: 'readonly', structuredClone: 'readonly', queueMicrotask: 'readonly', document: 'readonly', window: 'readonly', EventSource: 'readonly', FormData: 'readonly', Response: 'readonly', Request: 'readonly', Headers: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
    },
  },
  {
    // protocol/ is pure: no I/O modules and nothing else of ours.
    files: ['protocol/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['../device/*', '../hardware/*', '../sync-server/*', '../cli/*', '../../*'], message: 'protocol/ imports nothing of ours' },
          { group: ['node:fs', 'node:fs/*', 'fs', 'node:net', 'node:http', 'node:child_process', 'better-sqlite3'], message: 'protocol/ does no I/O' },
        ],
      }],
    },
  },
  {
    // hardware/ knows nothing of passes.
    files: ['hardware/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['../protocol/*', '../device/*', '../sync-server/*', '../../protocol/*', '../../device/*', '../../sync-server/*'], message: 'hardware/ knows nothing of passes' }] }],
    },
  },
  {
    files: ['sync-server/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['../device/*', '../hardware/*', '../../device/*', '../../hardware/*'], message: 'sync-server/ depends on protocol/ only' }] }],
    },
  },
  {
    // The wallet page and its service worker run in the browser (and proof.js also in Node).
    files: ['sync-server/wallet/**/*.js'],
    languageOptions: { globals: { navigator: 'readonly', location: 'readonly', history: 'readonly', indexedDB: 'readonly', crypto: 'readonly', caches: 'readonly', self: 'readonly', btoa: 'readonly', URLSearchParams: 'readonly' } },
  },
);
