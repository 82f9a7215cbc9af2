// `npm run lint`: type-checked rules for the TypeScript in src/ and test/ (tsconfig.json), and
// for the .mjs scripts (typed as JavaScript by the project service's default project).
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  { ignores: ['dist/', 'coverage/', 'demo-out/', 'bench-out/', 'kaiyaku-demo/', 'fixtures/'] },
  {
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { projectService: { allowDefaultProject: ['scripts/*.mjs', 'eslint.config.js'] }, tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
  },
  {
    files: ['scripts/**/*.mjs', 'eslint.config.js'],
    extends: [js.configs.recommended],
    languageOptions: { globals: globals.node },
    plugins: { '@typescript-eslint': tseslint.plugin },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
    },
  },
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.recommendedTypeChecked],
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      // Rows come from knex untyped (`any`) and are converted where they are read (Number(r.id), String(...)): these would flag nearly every query.
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      // `(await query) as Row[]` is how the codebase types knex results; the rule wants type arguments instead (~90 sites).
      '@typescript-eslint/no-unnecessary-type-assertion': 'off',
      // An async function without await is deliberate: it fits a promise-returning interface and turns a throw into a rejection.
      '@typescript-eslint/require-await': 'off',
      // A leading underscore, or a rest sibling, marks what is left out on purpose.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      // A caught `unknown` is passed on as it came (as only-throw-error allows by default).
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true }],
    },
  },
  {
    files: ['src/store/**/*.ts'],
    rules: {
      // knex's where-callbacks (`(q) => q.where(...)`) return the query builder, a thenable that knex ignores and nothing runs.
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
    },
  },
  {
    // The store is a wall: outside src/store/ nothing holds a knex handle or writes SQL, and
    // everything of the store comes through its one door, src/store/index.ts.
    files: ['src/**/*.ts'],
    ignores: ['src/store/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'knex', message: 'SQL lives in src/store/: ask a repository of the store (store.orders.…, store.transact).' }],
          patterns: [
            {
              regex: '(^|/)store/(?!index\\.js$)[^/]+$',
              message: 'Import the store through its door, src/store/index.ts.',
            },
          ],
        },
      ],
    },
  },
);
