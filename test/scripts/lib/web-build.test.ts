/**
 * When `npm start` and the browser tests rebuild the web app (scripts/lib/web-build.ts): only when
 * web/dist is missing or older than a source.
 */
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { webBuildNeeded } from '../../../scripts/lib/web-build.js';

let root: string;
afterEach(() => rmSync(root, { recursive: true, force: true }));

/** A web/ folder with its inputs written at `srcAt` (seconds) and, unless null, a build at `builtAt`. */
function webFolder(srcAt: number, builtAt: number | null): string {
  root = mkdtempSync(join(tmpdir(), 'yz-webbuild-'));
  mkdirSync(join(root, 'src/pages'), { recursive: true });
  for (const f of ['index.html', 'vite.config.ts', 'package.json', 'src/main.ts', 'src/pages/A.vue']) {
    writeFileSync(join(root, f), '');
    utimesSync(join(root, f), srcAt, srcAt);
  }
  if (builtAt !== null) {
    mkdirSync(join(root, 'dist'));
    writeFileSync(join(root, 'dist/index.html'), '');
    utimesSync(join(root, 'dist/index.html'), builtAt, builtAt);
  }
  return root;
}

describe('webBuildNeeded', () => {
  it('builds when there is no build', () => {
    expect(webBuildNeeded(webFolder(1000, null))).toBe('missing');
  });

  it('does not build when the build is newer than every source', () => {
    expect(webBuildNeeded(webFolder(1000, 2000))).toBeNull();
  });

  it('builds when a page deep under src/ changed after the build', () => {
    const dir = webFolder(1000, 2000);
    utimesSync(join(dir, 'src/pages/A.vue'), 3000, 3000);
    expect(webBuildNeeded(dir)).toBe('stale');
  });

  it('builds when the Vite config changed after the build', () => {
    const dir = webFolder(1000, 2000);
    utimesSync(join(dir, 'vite.config.ts'), 3000, 3000);
    expect(webBuildNeeded(dir)).toBe('stale');
  });
});
