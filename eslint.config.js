// Lint rules: typescript-eslint's recommended set plus the few rules that keep the layering honest.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** protocol/internal is protocol/'s own: everything else goes through protocol/index.ts (tests and benches of the internals excepted). */
const PROTOCOL_INTERNAL = { group: ['**/protocol/internal/*'], message: 'protocol/internal is private to protocol/: import from protocol/index.js' };

/** Ban imports of the named device/ modules or folders, written relative to the importing file (`prefix`). */
function deviceBan(prefix, names, message) {
  return { group: names.flatMap((n) => [`${prefix}${n}`, `${prefix}${n}.js`, `${prefix}${n}/*`]), message };
}

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
    // common/ is the tiny pure layer every other layer may import (the clock interface): it imports nothing.
    files: ['common/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['../*', 'node:*', 'fs', 'net', 'http', 'child_process', 'better-sqlite3'], message: 'common/ imports nothing' }] }],
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
      'no-restricted-imports': ['error', { patterns: [{ group: ['../device/*', '../hardware/*', '../../device/*', '../../hardware/*'], message: 'sync-server/ depends on protocol/ only' }, PROTOCOL_INTERNAL] }],
    },
  },
  {
    // The wallet page and its service worker run in the browser (and proof.js also in Node).
    files: ['sync-server/wallet/**/*.js'],
    languageOptions: { globals: { navigator: 'readonly', location: 'readonly', history: 'readonly', indexedDB: 'readonly', crypto: 'readonly', caches: 'readonly', self: 'readonly', btoa: 'readonly', URLSearchParams: 'readonly' } },
  },
  {
    files: ['cli/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [PROTOCOL_INTERNAL] }] },
  },
  // device/: the runtime's own files (runtime, pipeline, gate, decide, ...) know trust data only through the
  // TrustKeeper and nothing of sync/; boot.ts is the one place that wires the sync client in.
  {
    files: ['device/*.ts'],
    ignores: ['device/boot.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [PROTOCOL_INTERNAL, deviceBan('./', ['sync'], 'only device/boot.ts wires the sync client in')] }] },
  },
  {
    // sync/ talks HTTP and hands trust data to the TrustKeeper; it knows nothing of the runtime around it.
    files: ['device/sync/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [PROTOCOL_INTERNAL, deviceBan('../', ['runtime', 'pipeline', 'gate', 'boot', 'presence', 'notify', 'leds', 'status', 'decode', 'config'], 'device/sync/ only talks HTTP and calls the trust keeper')] }] },
  },
  {
    // trust/ owns verification, the apply step and the enrolment state; it calls nobody above it.
    files: ['device/trust/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [PROTOCOL_INTERNAL, deviceBan('../', ['sync', 'runtime', 'pipeline', 'gate', 'boot', 'presence', 'notify', 'leds', 'status', 'decode', 'config'], 'device/trust/ sits below the runtime and the sync client')] }] },
  },
  {
    // decode/ turns frames into text: no store, no trust data, no sync.
    files: ['device/decode/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [PROTOCOL_INTERNAL, deviceBan('../', ['store', 'trust', 'sync', 'runtime', 'pipeline', 'gate', 'boot', 'leds', 'status'], 'device/decode/ only decodes frames')] }] },
  },
  {
    // store/ is the SQLite file: it calls nothing of the device around it.
    files: ['device/store/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [PROTOCOL_INTERNAL, deviceBan('../', ['trust', 'sync', 'runtime', 'pipeline', 'gate', 'boot', 'leds', 'status', 'decode'], 'device/store/ is the bottom layer')] }] },
  },
  {
    // alarms/board.ts is the runtime's alarm list: it drives the LEDs, the buzzer and the gate it is handed and knows
    // no store, trust data or sync (the forwarder beside it sends the list to the server).
    files: ['device/alarms/board.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [PROTOCOL_INTERNAL, deviceBan('../', ['store', 'trust', 'sync', 'runtime', 'pipeline', 'boot', 'decode', 'config'], 'device/alarms/board.ts sits below the runtime and holds no trust data')] }] },
  },
  {
    // leds/ and status/ show state; they neither write trust data nor sync.
    files: ['device/leds/**/*.ts', 'device/status/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [PROTOCOL_INTERNAL, deviceBan('../', ['store', 'trust', 'sync', 'runtime', 'pipeline', 'boot'], 'device/leds/ and status/ hold no trust data')] }] },
  },
  {
    // config/ reads the file (it composes the sync options' schema); it opens nothing.
    files: ['device/config/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [PROTOCOL_INTERNAL, deviceBan('../', ['store', 'trust', 'runtime', 'pipeline', 'boot'], 'device/config/ only reads the config file')] }] },
  },
);
