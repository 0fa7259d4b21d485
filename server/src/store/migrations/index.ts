/**
 * Every migration the code knows, by name; names sort in the order they apply. A new migration is a
 * new file `NNNN_what.ts` added here, never an edit of one that has shipped.
 */
import type { Migration } from 'kysely/migration';
import { migration0001 } from './0001_accounts.js';
import { migration0002 } from './0002_organisation.js';
import { migration0004 } from './0004_alert_lists.js';
import { migration0005 } from './0005_audit_append_only.js';
import { migration0006 } from './0006_outbox.js';
import { migration0007 } from './0007_silences.js';
import { migration0008 } from './0008_people.js';
import { migration0009 } from './0009_lifecycle.js';
import { migration0010 } from './0010_escalation.js';
import { migration0011 } from './0011_work_orders.js';
import { migration0012 } from './0012_planning.js';
import { migration0013 } from './0013_planning_daily.js';
import { migration0014 } from './0014_planning_resync.js';
import { migration0015 } from './0015_notices.js';
import { migration0016 } from './0016_rider_reports.js';

export type Engine = 'sqlite' | 'postgres';

export function migrations(engine: Engine): Record<string, Migration> {
  return {
    '0001_accounts': migration0001(engine),
    '0002_organisation': migration0002(engine),
    '0004_alert_lists': migration0004(),
    '0005_audit_append_only': migration0005(engine),
    '0006_outbox': migration0006(engine),
    '0007_silences': migration0007(engine),
    '0008_people': migration0008(),
    '0009_lifecycle': migration0009(),
    '0010_escalation': migration0010(),
    '0011_work_orders': migration0011(engine),
    '0012_planning': migration0012(engine),
    '0013_planning_daily': migration0013(),
    '0014_planning_resync': migration0014(),
    '0015_notices': migration0015(engine),
    '0016_rider_reports': migration0016(engine),
  };
}
