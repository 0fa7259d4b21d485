/**
 * The import rules of docs/architecture.md, as eslint.config.js enforces them: each case lints one
 * import line as if it stood in the given file, with the no-restricted-imports options that the
 * project's config computes for that file.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ESLint, Linter } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint({ cwd: process.cwd() });
const linter = new Linter({ configType: 'flat' });

/** The messages lint prints for `source` placed in `file` (repository-relative). */
async function importProblems(file: string, source: string): Promise<string[]> {
  const config = (await eslint.calculateConfigForFile(file)) as { rules: Record<string, Linter.RuleEntry> };
  const rule = config.rules['no-restricted-imports'];
  expect(rule, `no import rule for ${file}`).toBeDefined();
  return linter
    .verify(`${source}\n`, [{ files: ['**/*.ts'], rules: { 'no-restricted-imports': rule! } }], file)
    .map((m) => m.message);
}

const REFUSED: [file: string, line: string, says: string][] = [
  [
    'edge/src/agent/agent.ts',
    "import { crc16 } from '../../../protocol/src/serial/crc16.js';",
    'relative path',
  ],
  [
    'edge/src/main.ts',
    "import { encodeFrame } from '@yizhan/protocol/src/serial/encoder.js';",
    "package's entry point",
  ],
  [
    'edge/src/main.ts',
    "import { buildApp } from '@yizhan/server';",
    '@yizhan/edge may import @yizhan/protocol, @yizhan/station-config, @yizhan/common',
  ],
  ['edge/src/main.ts', "import { startBroker } from '@yizhan/broker';", '@yizhan/edge may import'],
  ['server/src/app.ts', "import { startAgent } from '@yizhan/edge/agent';", '@yizhan/server may import'],
  ['server/src/app.ts', "import { startBroker } from '@yizhan/broker';", '@yizhan/server may import'],
  [
    'broker/src/broker.ts',
    "import { loadStations } from '@yizhan/station-config/load';",
    '@yizhan/broker may import @yizhan/protocol, @yizhan/common',
  ],
  [
    'protocol/src/index.ts',
    "import { didYouMean } from '@yizhan/common/did-you-mean';",
    '@yizhan/protocol may import none',
  ],
  [
    'common/src/prng.ts',
    "import { StationConfig } from '@yizhan/station-config/schema';",
    '@yizhan/common may import @yizhan/protocol',
  ],
  [
    'firmware-config/src/schema.ts',
    "import { Random } from '../../edge/src/simulator/index.js';",
    'relative path',
  ],
  [
    'firmware-config/src/schema.ts',
    "import { startAgent } from '@yizhan/edge';",
    '@yizhan/station-config may import @yizhan/protocol, @yizhan/common',
  ],
  ['server/src/app.ts', "import { poll } from '../../test/helpers/poll.js';", 'relative path'],
  [
    'scripts/start.ts',
    "import { loadStationsOrThrow } from '../firmware-config/src/load.js';",
    'by its name',
  ],
  ['bench/edge.ts', "import { bundleEdge } from '../edge/build.js';", 'by its name'],
  [
    'test/edge/agent.test.ts',
    "import { startAgent } from '../../edge/src/agent/index.js';",
    "import '@yizhan/edge/agent'",
  ],
  [
    'test/server/config.test.ts',
    "import { loadConfig } from '../../server/src/config.js';",
    "import '@yizhan/server/config'",
  ],
  [
    'test/protocol/codec.test.ts',
    "import { crc16 } from '../../protocol/src/serial/crc16.js';",
    'every module of @yizhan/protocol',
  ],
  ['test/e2e/start.test.ts', "import { x } from '@yizhan/server/src/app.js';", "package's entry point"],
];

const ALLOWED: [file: string, line: string][] = [
  ['edge/src/agent/agent.ts', "import { crc16 } from '@yizhan/protocol/serial';"],
  ['edge/src/agent/agent.ts', "import { Backoff } from './backoff.js';"],
  ['edge/src/main.ts', "import { loadStationsOrThrow } from '@yizhan/station-config/load';"],
  ['edge/src/main.ts', "import { bundleEdge } from '../build.js';"],
  ['server/src/app.ts', "import { hashSeed } from '@yizhan/common/prng';"],
  ['firmware-config/src/samples/generate.ts', "import { mulberry32 } from '@yizhan/common/prng';"],
  ['common/src/settings/kinds.ts', "import { parseDuration } from '@yizhan/protocol/duration';"],
  ['scripts/stations.ts', "import { startAgent } from '@yizhan/edge';"],
  ['bench/sse.ts', "import { buildApp } from '@yizhan/server';"],
  // A white-box test of a module that no package exports.
  ['test/edge/mapper.test.ts', "import { FrameMapper } from '../../edge/src/agent/mapper.js';"],
  ['test/e2e/start.test.ts', "import { startTestBroker } from '../broker/helpers.js';"],
];

describe('import rules (eslint.config.js)', () => {
  it.each(REFUSED)('%s: refuses %s', async (file, line, says) => {
    const problems = await importProblems(file, line);
    expect(problems.length, problems.join('\n')).toBeGreaterThan(0);
    expect(problems.join('\n')).toContain(says);
  });

  it.each(ALLOWED)('%s: allows %s', async (file, line) => {
    expect(await importProblems(file, line)).toEqual([]);
  });
});

/** The packages a folder's TypeScript imports or requires (bare specifiers, node: built-ins left out). */
function importedPackages(folder: string): Set<string> {
  const found = new Set<string>();
  for (const entry of readdirSync(folder, { recursive: true, withFileTypes: true })) {
    const source = entry.name.endsWith('.ts') || entry.name.endsWith('.vue');
    if (!entry.isFile() || !source || entry.parentPath.includes('node_modules')) continue;
    const text = readFileSync(join(entry.parentPath, entry.name), 'utf8');
    for (const m of text.matchAll(/(?:from\s+|import\s*\(\s*|require\(\s*)['"]([^'".][^'"]*)['"]/g)) {
      const spec = m[1]!;
      if (spec.startsWith('node:')) continue;
      found.add(
        spec
          .split('/')
          .slice(0, spec.startsWith('@') ? 2 : 1)
          .join('/'),
      );
    }
  }
  return found;
}

describe('package.json of each package', () => {
  // The broker reads the server's setting names (broker/src/settings.ts says why); it is no dependency.
  const UNDECLARED_EXCEPTIONS: Record<string, string[]> = { broker: ['@yizhan/server'] };

  it.each(['protocol', 'common', 'firmware-config', 'screen', 'edge', 'broker', 'server', 'web'])(
    '%s lists every package its sources import, and no other',
    (folder) => {
      const pkg = JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8')) as {
        dependencies?: Record<string, string>;
      };
      const declared = Object.keys(pkg.dependencies ?? {}).sort();
      const used = [...importedPackages(folder)].filter((n) => !UNDECLARED_EXCEPTIONS[folder]?.includes(n));
      expect(declared).toEqual(used.sort());
    },
  );
});
