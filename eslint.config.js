// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'data/**', 'bench/results/**', '.scratch/**', 'examples/.out/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    // Type-aware rules: a promise nobody awaits or catches is how a scheduler stops silently.
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // The Clock is the only place that may read the wall clock or set timers, so tests can advance time.
    files: ['src/**/*.ts'],
    // Server plumbing (heartbeats, HTTP timeouts, src/node's bound on open connections at close) is not
    // scheduling and may use timers directly; so may the PostgreSQL store's heartbeat, reconnects and write
    // batching (real connections, real time), and the CLI (its countdowns are relative to the wall clock,
    // handed to commands as CliIo.now).
    ignores: ['src/stores/postgres/**', 'src/core/clock.ts', 'src/server/**', 'src/node/**', 'src/tasks/**', 'src/cli.ts', 'src/cli/**', 'src/config.ts'],
    rules: {
      'no-restricted-properties': ['error', { object: 'Date', property: 'now', message: 'Read time through the injected Clock.' }],
      'no-restricted-globals': [
        'error',
        { name: 'setTimeout', message: 'Set timers through the injected Clock.' },
        { name: 'setInterval', message: 'Set timers through the injected Clock.' },
      ],
    },
  },
  {
    // The dashboard: plain browser ES modules, served as they are (no build step).
    files: ['dashboard/**/*.js'],
    languageOptions: {
      sourceType: 'module',
      globals: Object.fromEntries(
        [
          'window',
          'document',
          'location',
          'history',
          'sessionStorage',
          'fetch',
          'URL',
          'URLSearchParams',
          'AbortController',
          'TextDecoderStream',
          'performance',
          'console',
          'setTimeout',
          'clearTimeout',
          'setInterval',
          'clearInterval',
          'requestAnimationFrame',
          'queueMicrotask',
          'HTMLElement',
          'Blob',
        ].map((name) => [name, 'readonly']),
      ),
    },
  },
  {
    files: ['examples/**/*.mjs', 'test/**/fixtures/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', setTimeout: 'readonly', fetch: 'readonly', URL: 'readonly' } },
  },
  {
    files: ['bench/**/*.{js,mjs}'],
    languageOptions: {
      globals: {
        URL: 'readonly',
        fetch: 'readonly',
        process: 'readonly',
        console: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        setImmediate: 'readonly',
        performance: 'readonly',
        globalThis: 'readonly',
      },
    },
  },
);
