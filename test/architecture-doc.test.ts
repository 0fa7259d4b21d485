/**
 * docs/architecture.md is the newcomer's map: every entry point a package exports is named there,
 * so a module added to a package's `exports` without a line in the map fails here.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');
const root = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { workspaces: string[] };
const doc = readFileSync(join(ROOT, 'docs/architecture.md'), 'utf8');

const entryPoints = root.workspaces.flatMap((folder) => {
  const pkg = JSON.parse(readFileSync(join(ROOT, folder, 'package.json'), 'utf8')) as {
    name: string;
    exports?: Record<string, string>;
  };
  return Object.keys(pkg.exports ?? {}).map((key) => ({
    folder,
    entry: key === '.' ? pkg.name : `${pkg.name}/${key.slice(2)}`,
  }));
});

describe('docs/architecture.md', () => {
  it('has a package section for every workspace', () => {
    for (const folder of root.workspaces) expect(doc, folder).toContain(`— \`${folder}/\``);
  });
  it.each(entryPoints)('names the entry point $entry ($folder)', ({ entry }) => {
    expect(doc).toContain(`\`${entry}\``);
  });
});
