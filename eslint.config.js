// @ts-check
import { readFileSync } from 'node:fs';
import tseslint from 'typescript-eslint';

/**
 * The import rules of docs/architecture.md. Each package is imported by its name and only through
 * the entry points its package.json `exports` lists; product code never reaches into another
 * package's folder by a relative path; and a package imports only the packages below it.
 */
const PACKAGES = {
  protocol: { name: '@yizhan/protocol', may: [] },
  common: { name: '@yizhan/common', may: ['@yizhan/protocol'] },
  'firmware-config': { name: '@yizhan/station-config', may: ['@yizhan/protocol', '@yizhan/common'] },
  // The station screen (page, font, live state from readings): served by the server and by the board.
  screen: { name: '@yizhan/screen', may: ['@yizhan/protocol', '@yizhan/station-config'] },
  edge: {
    name: '@yizhan/edge',
    may: ['@yizhan/protocol', '@yizhan/station-config', '@yizhan/common', '@yizhan/screen'],
  },
  broker: { name: '@yizhan/broker', may: ['@yizhan/protocol', '@yizhan/common'] },
  server: {
    name: '@yizhan/server',
    may: ['@yizhan/protocol', '@yizhan/station-config', '@yizhan/common', '@yizhan/screen'],
  },
  // The web app takes the server's API types (types only), its dependency-free role lists and the
  // dependency-free map datums of common; test/web/imports.test.ts holds it to those three.
  web: { name: '@yizhan/web', may: ['@yizhan/server', '@yizhan/common'] },
};
const FOLDERS = Object.keys(PACKAGES);
const NAMES = Object.values(PACKAGES).map((p) => p.name);
const esc = (/** @type {string} */ s) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** Refused everywhere: a path inside a package given by its name. */
const NO_DEEP_NAME = {
  group: ['@yizhan/*/src', '@yizhan/*/src/**', '@yizhan/*/*.ts'],
  message:
    "import a package's entry point ('@yizhan/protocol/serial'), not its files; the entry points are the \"exports\" of its package.json (docs/architecture.md)",
};

/** A relative import whose first folder after the `../` steps is one of `folders`. */
function leaving(/** @type {string[]} */ folders, /** @type {string} */ message) {
  return { regex: `^(\\.\\./)+(${folders.map(esc).join('|')})/`, message };
}

/** For the test tree: every module a package exports is imported by its name there too. */
function exportedFiles() {
  return FOLDERS.flatMap((folder) => {
    const pkg = JSON.parse(readFileSync(new URL(`./${folder}/package.json`, import.meta.url), 'utf8'));
    return Object.entries(pkg.exports).flatMap(([sub, target]) => {
      if (!String(target).endsWith('.ts')) return [];
      const spec = sub === '.' ? pkg.name : `${pkg.name}/${sub.slice(2)}`;
      const file = esc(`${folder}/${String(target).slice(2, -3)}.js`);
      return [
        {
          regex: `^(\\.\\./)+${file}$`,
          message: `import '${spec}' (its package's entry point) instead of the file`,
        },
      ];
    });
  });
}

/** The no-restricted-imports block of each package folder. */
const packageBlocks = Object.entries(PACKAGES).map(([folder, { name, may }]) => {
  const refused = NAMES.filter((n) => n !== name && !may.includes(n));
  const others = [...FOLDERS.filter((f) => f !== folder), 'scripts', 'bench', 'test'];
  const allowed = may.length ? may.join(', ') : 'none of the other yizhan packages';
  return {
    files: [`${folder}/**/*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            NO_DEEP_NAME,
            leaving(
              others,
              `${name} does not reach into another folder by a relative path: import the package by its name ('@yizhan/…'), see docs/architecture.md`,
            ),
            ...(refused.length
              ? [
                  {
                    regex: `^(${refused.map(esc).join('|')})(/|$)`,
                    message: `${name} may import ${allowed} (docs/architecture.md)`,
                  },
                ]
              : []),
          ],
        },
      ],
    },
  };
});

/** Benchmarks that run a part's internals in process (no package exports them). */
const WHITE_BOX_BENCHES = [
  'bench/ingest-cpu.ts',
  'bench/store.ts',
  'bench/store-users.ts',
  'bench/alerts.ts',
  'bench/planning-coverage.ts',
  // The planners' InfluxQL, measurement names and the server's InfluxDB defaults, run in process.
  'bench/planning-fill.ts',
  'bench/planning-influx.ts',
  'bench/planning-queries.ts',
  'bench/planning-stack.ts',
  'bench/ranking-store.ts',
  'bench/ranking-store-influx.ts',
];

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', '.data/**', '.scratch/**', 'coverage/**', '**/*.js'] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Product code stays readable in one sitting: files up to ~400 lines, functions up to ~80. A
    // longer one says why in an eslint-disable comment beside it.
    files: [...FOLDERS, 'scripts'].map((f) => `${f}/**/*.ts`),
    rules: {
      'max-lines': ['error', { max: 400, skipBlankLines: true, skipComments: true }],
      'max-lines-per-function': ['error', { max: 80, skipBlankLines: true, skipComments: true, IIFEs: true }],
    },
  },
  ...packageBlocks,
  {
    // Scripts and benchmarks may use every package, by its name.
    files: ['scripts/**/*.ts', 'bench/**/*.ts', '*.ts'],
    ignores: WHITE_BOX_BENCHES,
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            NO_DEEP_NAME,
            leaving(
              FOLDERS,
              "import the package by its name ('@yizhan/…'), not by a relative path into its folder (docs/architecture.md)",
            ),
          ],
        },
      ],
    },
  },
  {
    // Tests may use every package by its name; a white-box test of a module no package exports
    // imports that file by its path. The protocol and common export every module they have.
    // In-process benchmark harnesses drive internals the same way.
    files: ['test/**/*.ts', ...WHITE_BOX_BENCHES],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            NO_DEEP_NAME,
            leaving(
              ['protocol/src', 'common/src'],
              "every module of @yizhan/protocol and @yizhan/common is an entry point: import it by name ('@yizhan/protocol/serial')",
            ),
            ...exportedFiles(),
          ],
        },
      ],
    },
  },
);
