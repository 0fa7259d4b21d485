/**
 * scripts/check-node.sh, run before `npm start` and `npm test` (by scripts/setup-os.sh): on a
 * machine whose scripts would run on an older Node than package.json's engines.node (no
 * node_modules/.bin/node, or an old one) it stops with a message naming both versions and what to
 * do; with the project's Node it says nothing. The nodes here are stubs that print a version, so
 * the test does not depend on which Node the machine has.
 */
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const ENGINES = (
  JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } }
).engines.node;
const MAJOR = Number(/^>=(\d+)$/.exec(ENGINES)?.[1]);
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A checkout with the real package.json and check script; `projectNode` stubs node_modules/.bin/node. */
function checkout(projectNode?: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'yz-check-node-'));
  dirs.push(dir);
  mkdirSync(join(dir, 'scripts'));
  copyFileSync(join(ROOT, 'scripts/check-node.sh'), join(dir, 'scripts/check-node.sh'));
  copyFileSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
  if (projectNode !== undefined) stubNode(join(dir, 'node_modules/.bin'), projectNode);
  return dir;
}

function stubNode(binDir: string, version: string): string {
  mkdirSync(binDir, { recursive: true });
  writeFileSync(join(binDir, 'node'), `#!/bin/sh\necho ${version}\n`);
  chmodSync(join(binDir, 'node'), 0o755);
  return binDir;
}

/** Run the check with `pathNode` (a stub) as the first node on PATH, as outside npm. */
function check(dir: string, pathNode: string): { status: number | null; stderr: string } {
  const pathDir = stubNode(join(dir, 'path-bin'), pathNode);
  const r = spawnSync('bash', [join(dir, 'scripts/check-node.sh')], {
    env: { ...process.env, PATH: `${pathDir}:${process.env.PATH ?? ''}` },
    encoding: 'utf8',
  });
  return { status: r.status, stderr: r.stderr };
}

describe('check-node.sh', () => {
  it("passes with the project's node_modules/.bin/node at the engines major, whatever node is on PATH", () => {
    expect(check(checkout(`${MAJOR}.22.3`), '20.20.2')).toEqual({ status: 0, stderr: '' });
  });

  it('stops naming both versions when node_modules/.bin/node is older than engines.node', () => {
    const r = check(checkout('20.20.2'), `${MAJOR}.1.0`);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`needs Node.js ${MAJOR} or later, found: 20.20.2`);
    expect(r.stderr).toContain('npm ci');
  });

  it('without node_modules/.bin/node (npm ci not run, or --omit=optional) it judges the node on PATH', () => {
    const old = check(checkout(), '22.12.0');
    expect(old.status).toBe(1);
    expect(old.stderr).toContain(`needs Node.js ${MAJOR} or later, found: 22.12.0`);
    expect(old.stderr).toContain('--omit=optional');
    expect(check(checkout(), `${MAJOR}.0.0`).status).toBe(0);
  });

  it('this checkout: npm scripts and these tests run on the engines major', () => {
    const r = spawnSync('bash', [join(ROOT, 'scripts/check-node.sh')], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(Number(process.versions.node.split('.')[0])).toBeGreaterThanOrEqual(MAJOR);
  });
});
