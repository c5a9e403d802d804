// One linter for the workspace, in the flat config an Nx workspace generates (@nx/eslint-plugin), plus the
// type-aware rules of typescript-eslint that catch real bugs in a code base of child processes and file I/O.
import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

export default [
  {
    ignores: [
      'node_modules/',
      '.tools/',
      '.nx/',
      '.vitest/',
      'clusters/',
      '**/fixtures/',
      'tests/hostile/corpus/',
      'tools/bench/results/',
    ],
  },
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  ...nx.configs['flat/javascript'],
  {
    files: ['**/*.ts', '**/*.mts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // Prettier does not wrap strings and comments; the guide's limit is 120 columns.
      'max-len': ['error', { code: 120, ignoreUrls: true }],
      // A promise nobody awaits hides a failed kubeconform, helm or file write behind exit 0.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      // Off: the file sources and tree readers implement Promise-returning interfaces with synchronous bodies,
      // and `async` there keeps a throw (an unreadable file) a rejection, which their callers rely on.
      '@typescript-eslint/require-await': 'off',
      // Off: a `!` follows a lookup the line before has made certain (a key just listed, a cluster just
      // matched); strict null checks already make every such site an explicit decision.
      '@typescript-eslint/no-non-null-assertion': 'off',
      // `any` from JSON.parse or YAML must be checked before use, not flow on unchecked.
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unsafe-argument': 'error',
      '@typescript-eslint/no-unsafe-assignment': 'error',
      '@typescript-eslint/no-unsafe-call': 'error',
      '@typescript-eslint/no-unsafe-member-access': 'error',
      '@typescript-eslint/no-unsafe-return': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      // A switch without `default` must name every case; a `default` is a deliberate catch-all.
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      // Libraries import each other by their @flyte-gkp/* name; the boundaries rule needs Nx's project graph
      // of libraries, which this workspace infers per spec, not per library, so it cannot tell them apart.
      '@nx/enforce-module-boundaries': 'off',
    },
  },
  {
    // Tests read rendered YAML and JSON reports as `any` and assert their shape: a wrong access fails the test
    // itself, so `any` and the unsafe-any rules would only add casts. Promise rules still apply there.
    files: ['**/*.spec.ts', 'libs/testing/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    // The configuration files themselves and the setup scripts are plain JavaScript: no type information.
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    rules: {
      // Prettier does not wrap strings and comments; the guide's limit is 120 columns.
      'max-len': ['error', { code: 120, ignoreUrls: true }],
    },
  },
];
