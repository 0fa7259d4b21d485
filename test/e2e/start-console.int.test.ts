/**
 * `npm start`'s supervisor (scripts/lib/children.ts): a warning on the console names its cause and
 * context (which station, which error), and a service that writes a burst of lines as it stops
 * neither loses them from its log file nor makes the supervisor fail with "write after end".
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { consoleLine, startNodeChild } from '../../scripts/lib/children.js';

const dir = mkdtempSync(join(tmpdir(), 'yz-children-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('npm start console', () => {
  it('a warning keeps its context: station, error, reason', () => {
    const line = consoleLine(
      'stations',
      JSON.stringify({
        level: 40,
        time: 1,
        pid: 2,
        hostname: 'h',
        station: 'st-032',
        bootId: 'abc',
        mqtt: 'mqtt://127.0.0.1:1883',
        err: 'connack timeout',
        msg: 'mqtt error',
      }),
    );
    expect(line).toBe('[stations] WARN mqtt error (station=st-032 mqtt=mqtt://127.0.0.1:1883 err="connack timeout")');
    expect(consoleLine('server', JSON.stringify({ level: 50, msg: 'boom', err: { type: 'Error', message: 'disk full', stack: 'Error: disk full\n  at x' } }))).toBe(
      '[server] ERROR boom (err="disk full")',
    );
    expect(consoleLine('server', JSON.stringify({ level: 30, msg: 'fine' }))).toBeUndefined();
  });

  it('a service that writes as it exits: every line in its log, no "write after end"', async () => {
    const errors: unknown[] = [];
    const onError = (e: unknown): void => void errors.push(e);
    process.on('uncaughtException', onError);
    const echoed: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => {
      echoed.push(String(s));
      return true;
    });
    try {
      const child = startNodeChild('stations', 'test/e2e/fixtures/chatty-exit.ts', [], {}, dir);
      await vi.waitFor(() => expect(echoed.join('')).toContain('mqtt error'), { timeout: 10_000 });
      await child.stop();
      await vi.waitFor(() => expect(readFileSync(child.logFile, 'utf8')).toContain('"last line"'), { timeout: 5000 });
      expect(readFileSync(child.logFile, 'utf8').match(/goodbye \d+/g)).toHaveLength(120);
      await new Promise((r) => setTimeout(r, 200));
      expect(errors).toEqual([]);
    } finally {
      spy.mockRestore();
      process.off('uncaughtException', onError);
    }
    expect(echoed.join('')).toContain('[stations] WARN mqtt error (component=stations station=st-032 err="connack timeout")');
  });
});
