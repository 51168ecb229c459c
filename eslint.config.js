// Lint rules for the whole monorepo: typescript-eslint's recommended set, a few rules that guard
// the project's standards (no floating promises), and the architecture's import rules:
// - only packages/stream talks to Kafka (kafkajs); the local stack, the benchmark (which
//   measures raw clients) and the tests may use it directly;
// - packages/core does no I/O: no Kafka, Redis, HTTP, file system, process or network modules,
//   and none of the packages that do;
// - packages/store talks to Redis only, never to Kafka;
// - services and the CLI never import the test kit.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const kafka = {
  name: 'kafkajs',
  message: 'Only packages/stream talks to Kafka: use (or add) what it exports.',
};
const ioModules = [
  'ioredis',
  'fastify',
  'pino',
  'node:fs',
  'node:fs/promises',
  'node:net',
  'node:http',
  'node:https',
  'node:child_process',
  'node:worker_threads',
  '@pulse/store',
  '@pulse/stream',
  '@pulse/config',
  '@pulse/contracts',
  '@kafkajs/confluent-schema-registry',
].map((name) => ({
  name,
  message: 'packages/core is pure: every input is an argument, no I/O module comes in.',
}));
const testKit = {
  name: '@pulse/test-kit',
  message: 'Services and the CLI do not depend on the test kit.',
};
const restrict = (...paths) => ({ 'no-restricted-imports': ['error', { paths }] });

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      '.cache/**',
      '.pulse/**',
      'coverage/**',
      '**/*.lua',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
      ...restrict(kafka),
    },
  },
  {
    files: ['packages/stream/**', 'packages/local-stack/**', 'packages/bench/**', 'test/**'],
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    files: ['packages/core/src/**'],
    ignores: ['**/*.test.ts', '**/*test-support.ts'],
    rules: restrict(kafka, ...ioModules),
  },
  {
    files: ['packages/store/src/**'],
    rules: restrict(kafka, {
      name: '@pulse/stream',
      message: 'packages/store talks to Redis only; Kafka is packages/stream.',
    }),
  },
  {
    files: ['services/*/src/**', 'packages/cli/src/**'],
    ignores: ['**/*.test.ts'],
    rules: restrict(kafka, testKit),
  },
  {
    // The example shop's classic browser scripts.
    files: ['examples/**/*.js'],
    languageOptions: {
      sourceType: 'script',
      globals: {
        window: 'readonly',
        document: 'readonly',
        localStorage: 'readonly',
        location: 'readonly',
        history: 'readonly',
        addEventListener: 'readonly',
        console: 'readonly',
        pulse: 'readonly',
      },
    },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      parserOptions: { projectService: false, program: null },
      globals: {
        process: 'readonly',
        console: 'readonly',
        URL: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
      },
    },
  },
);
