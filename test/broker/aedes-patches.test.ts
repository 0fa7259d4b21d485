/**
 * patchAedes (broker/src/aedes-patches/index.ts): applied only to the aedes release it was written
 * for; on another one it refuses before changing anything, and startBroker fails with that error.
 */
import { Aedes } from 'aedes';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { AedesVersionError, checkAedesVersion, installedAedesVersion, patchAedes, PINNED_AEDES } from '../../broker/src/aedes-patches/index.js';

const opts = { log: pino({ level: 'silent' }), redis: false, maxQueuedPerClient: 10, onQueueDrop: () => undefined };
const brokers: Aedes[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(brokers.splice(0).map((b) => new Promise<void>((r) => b.close(() => r()))));
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});
async function fresh(): Promise<Aedes> {
  const b = await Aedes.createBroker();
  brokers.push(b);
  return b;
}

describe('patchAedes', () => {
  it('reads the installed aedes version, which is the pinned release', async () => {
    const pkg = JSON.parse(await readFile(join(process.cwd(), 'node_modules/aedes/package.json'), 'utf8')) as { version: string };
    expect(installedAedesVersion()).toBe(pkg.version);
    expect(pkg.version.startsWith(`${PINNED_AEDES}.`)).toBe(true);
    expect(() => checkAedesVersion(`${PINNED_AEDES}.9`)).not.toThrow();
  });

  it('refuses another aedes release with a message naming both versions, changing nothing', async () => {
    for (const v of ['1.3.0', '2.0.0', '0.51.3']) expect(() => checkAedesVersion(v)).toThrow(AedesVersionError);
    expect(() => checkAedesVersion('1.3.0')).toThrow(/aedes 1\.3\.0 is installed.*aedes 1\.2\.x/);
    const b = await fresh();
    const dir = await mkdtemp(join(tmpdir(), 'yz-patches-'));
    dirs.push(dir);
    await expect(patchAedes(b, { ...opts, registry: new Registry(), stateDir: dir, aedesVersion: '1.3.0' })).rejects.toThrow(AedesVersionError);
    // a patch replaces a prototype method by an own property of the instance
    expect(Object.hasOwn(b, 'publish')).toBe(false);
    // no journal was opened (nor its lock taken)
    await expect(readFile(join(dir, 'lock'))).rejects.toThrow(/ENOENT/);
  });

  it('on the pinned release patches publish and the outgoing store, and bounds the queues', async () => {
    const b = await fresh();
    expect(Object.hasOwn(b, 'publish')).toBe(false);
    const patched = await patchAedes(b, { ...opts, registry: new Registry() });
    expect(Object.hasOwn(b, 'publish')).toBe(true);
    expect(patched.disk).toBeUndefined();
    expect(patched.queues.depth()).toBe(0);
  });
});
