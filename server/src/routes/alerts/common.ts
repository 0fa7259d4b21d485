/** What the alert routes share: body checks, the alert with its township check, a lifecycle write. */
import type { Transaction } from 'kysely';
import type { Database } from '../../store/schema.js';
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type, type TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import type { Permission } from '../../auth/roles.js';
import { recordAudit, type AuditEntry } from '../../org/audit.js';
import type { StoredAlert } from '../../alerts/repo.js';
import { errorBody, pickLang } from '../../i18n.js';
import { mayIn } from '../township-access.js';

/** Longest request body of the write routes; a bigger one is refused with 413 before it is read. */
export const BODY_LIMIT = 16 * 1024;

const checkers = new Map<TSchema, ReturnType<typeof TypeCompiler.Compile>>();
/** The reason the body does not fit `schema`, naming the field; undefined when it fits. */
export function bodyProblem(schema: TSchema, body: unknown): string | undefined {
  let c = checkers.get(schema);
  if (!c) checkers.set(schema, (c = TypeCompiler.Compile(schema)));
  if (c.Check(body)) return undefined;
  const first = c.Errors(body).First();
  if (!first) return 'invalid';
  return `${first.path.slice(1) || '(body)'}: ${first.message}`;
}

export const params = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

export type App = Parameters<FastifyPluginCallbackTypebox>[0];

/** The alert if the principal holds `perm` in its township; otherwise the reply is sent. */
export async function alertFor(
  app: App,
  req: FastifyRequest,
  reply: FastifyReply,
  id: string,
  perm: Permission,
): Promise<StoredAlert | undefined> {
  const lang = pickLang(req, app.defaultLang);
  const alert = await app.alertRepo.get(id);
  if (!alert) {
    void reply.code(404).send(errorBody('alert_not_found', lang, { id }));
    return undefined;
  }
  return mayIn(app, req, reply, perm, alert.townshipCode) ? alert : undefined;
}

/**
 * Run `write` in a transaction; when it changed something, audit `entry` in it. The alert after,
 * sent to the live stream (`alert-changed`) once committed.
 */
export async function lifecycleWrite(
  app: App,
  req: FastifyRequest,
  alert: StoredAlert,
  write: (trx: Transaction<Database>, now: number) => Promise<boolean>,
  entry: (now: number) => Omit<AuditEntry, 'target' | 'township'>,
): Promise<StoredAlert> {
  const now = Date.now();
  const after = await app.ops.db.transaction().execute(async (trx) => {
    if (await write(trx, now))
      await recordAudit(
        trx,
        req,
        { ...entry(now), target: `alert:${alert.id}`, township: alert.townshipCode },
        now,
      );
    return (await app.alertRepo.get(alert.id, trx)) ?? alert;
  });
  app.alertRepo.changed(after);
  return after;
}
