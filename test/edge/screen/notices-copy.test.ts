/**
 * The board's kept copy of the union's notices: read back at start, for this station only, and each
 * notice leaves at its own end time with no server to ask.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { NoticesCopy } from '../../../edge/src/screen/notices-copy.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

const notice = (id: number, endsAt: number) => ({
  id,
  scope: { stationId: 'st-871' },
  kind: 'weather',
  severity: 'warning',
  title: { 'zh-CN': `通知${id}` },
  body: { 'zh-CN': '正文' },
  startsAt: 0,
  endsAt,
});

function copyFrom(content: string, stationId = 'st-871'): NoticesCopy {
  const dir = mkdtempSync(join(tmpdir(), 'yz-notices-copy-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'notices.json'), content);
  return new NoticesCopy({
    from: 'http://127.0.0.1:1',
    stationId,
    file: join(dir, 'notices.json'),
    logger: pino({ level: 'silent' }),
    onChange: () => {},
  });
}

describe('NoticesCopy', () => {
  it('shows the kept notices until each one ends, by the board clock', () => {
    const kept = JSON.stringify({ stationId: 'st-871', notices: [notice(1, 5000), notice(2, 9000)] });
    const c = copyFrom(kept);
    expect(c.current(1000).map((n) => n.id)).toEqual([1, 2]);
    expect(c.current(5000).map((n) => n.id)).toEqual([2]);
    expect(c.current(9000)).toEqual([]);
  });

  it("ignores another station's copy, a torn file and a file that is no answer", () => {
    const kept = JSON.stringify({ stationId: 'st-001', notices: [notice(1, 5000)] });
    expect(copyFrom(kept).current(0)).toEqual([]);
    expect(copyFrom('{"stationId":"st-871","notic').current(0)).toEqual([]);
    expect(copyFrom(JSON.stringify({ stationId: 'st-871', notices: [{ id: 1 }] })).current(0)).toEqual([]);
  });
});
