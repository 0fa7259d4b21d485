/**
 * The org plugin at start: the audit retention is written into the store for the triggers and
 * applied (old entries deleted, counted), on a SQLite file kept across two app instances.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { recordAudit } from '../../../server/src/org/audit.js';
import { valueOf } from '../../helpers/prom.js';
import { orgApp } from '../routes/org/org-app.js';

const DAY = 86_400_000;
const dataDir = mkdtempSync(join(tmpdir(), 'yz-org-plugin-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('audit retention at start', () => {
  it('deletes the entries older than YIZHAN_AUDIT_RETENTION and counts them; keeps the rest', async () => {
    const first = await orgApp({ dataDir, auditRetentionMs: 30 * DAY });
    const req = { principal: null, ip: '127.0.0.1' };
    for (const age of [400, 31, 29, 1])
      await recordAudit(first.app.ops.db, req, { action: `age.${age}`, target: 'x' }, Date.now() - age * DAY);
    const retention = await first.app.ops.db.selectFrom('audit_retention').selectAll().execute();
    expect(retention).toEqual([{ id: 1, retention_ms: 30 * DAY }]);
    await first.app.close();

    const second = await orgApp({ dataDir, auditRetentionMs: 30 * DAY });
    try {
      const left = await second.app.ops.db.selectFrom('audit_log').select('action').orderBy('id').execute();
      expect(left.map((r) => r.action)).toEqual(['age.29', 'age.1']);
      expect(
        valueOf(await second.app.metrics.registry.metrics(), 'yizhan_audit_retention_deleted_total'),
      ).toBe(2);
    } finally {
      await second.app.close();
    }
  });
});
