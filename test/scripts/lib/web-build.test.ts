/**
 * When `npm start` and the browser tests rebuild the web app (scripts/lib/web-build.ts): only when
 * web/dist (the staff app) or web/dist/m (the riders' phone page) is missing or older than a source.
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
  mkdirSync(join(root, 'm'));
  const inputs = ['index.html', 'vite.config.ts', 'package.json', 'src/main.ts', 'src/pages/A.vue'];
  for (const f of [...inputs, 'm/index.html', 'vite.phone.config.ts']) {
    writeFileSync(join(root, f), '');
    utimesSync(join(root, f), srcAt, srcAt);
  }
  if (builtAt !== null) {
    mkdirSync(join(root, 'dist/m'), { recursive: true });
    for (const f of ['dist/index.html', 'dist/m/index.html']) {
      writeFileSync(join(root, f), '');
      utimesSync(join(root, f), builtAt, builtAt);
    }
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

  it("builds when the phone page's build is missing (the staff build emptied web/dist)", () => {
    const dir = webFolder(1000, 2000);
    rmSync(join(dir, 'dist/m'), { recursive: true });
    expect(webBuildNeeded(dir)).toBe('missing');
  });

  it("builds when the phone page's entry or config changed after the build", () => {
    for (const f of ['m/index.html', 'vite.phone.config.ts']) {
      const dir = webFolder(1000, 2000);
      utimesSync(join(dir, f), 3000, 3000);
      expect(webBuildNeeded(dir), f).toBe('stale');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
