import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', '.next/', 'lib/db/generated/', 'test-results/', 'playwright-report/', 'bench/results/', 'tmp/', 'next-env.d.ts', '.data/', 'dist/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      // The pure core must stay free of frameworks and the environment (DESIGN.md).
      'no-restricted-imports': 'off',
    },
  },
  {
    files: ['lib/binding/**/*.ts', 'lib/risk/**/*.ts', 'lib/frameworks/**/*.ts', 'lib/ingest/**/*.ts', 'lib/domain/**/*.ts', 'lib/hops/**/*.ts', 'lib/credentials/**/*.ts'],
    ignores: ['**/*.test.ts', '**/testing/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['next', 'next/*', 'react', '@prisma/*', '**/db/**', '**/generated/**'] }],
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'The pure core takes configuration as arguments.' }],
    },
  },
  {
    files: ['**/*.mjs', 'scripts/**', 'bin/**'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly', setTimeout: 'readonly' } },
  },
);
