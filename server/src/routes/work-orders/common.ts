/**
 * What the work-order routes share: their error texts, the order lookup with its township check,
 * and the change epilogue (audit entry in the write's transaction, then the SSE `work-order` event).
 */
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type, type TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { COUNTY, type Permission } from '../../auth/roles.js';
import { errorTable, pickLang } from '../../i18n.js';
import { mayIn } from '../township-access.js';

export { mayIn };
import { recordAudit } from '../../org/audit.js';
import type { WorkOrderRow } from '../../workorders/repo.js';
import type { WorkOrderState } from './schemas.js';

export type App = Parameters<FastifyPluginCallbackTypebox>[0];

/** Longest JSON body of the write routes; a bigger one is refused with 413 before it is read. */
export const BODY_LIMIT = 16 * 1024;

export const idParams = Type.Object({ id: Type.Integer({ minimum: 1 }) });

export const workOrderError = errorTable({
  work_order_not_found: { 'zh-CN': '没有编号为 {id} 的工单', en: 'No work order with id {id}' },
  work_order_exists: {
    'zh-CN': '告警 {alert} 已有未关闭的工单 {id}',
    en: 'Alert {alert} already has work order {id}, not closed',
  },
  wrong_state: {
    'zh-CN': '工单 {id} 当前状态为 {state}，不能{action}',
    en: 'Work order {id} is {state}: cannot {action}',
  },
  bad_assignee: {
    'zh-CN': '用户 {user} 不存在、已停用，或在镇街 {township} 没有 alert:write',
    en: 'User {user} does not exist, is disabled, or holds no alert:write in township {township}',
  },
  close_needs_manager: {
    'zh-CN':
      '只有传感器确认（verified）的工单可由维护人员关闭；其他状态须由镇街管理员或县管理员填写说明后关闭',
    en: 'Only a verified work order may be closed by the crew; in any other state a township manager or county admin closes it with a note',
  },
  photo_not_found: {
    'zh-CN': '工单 {id} 没有编号为 {photo} 的照片',
    en: 'Work order {id} has no photo {photo}',
  },
  photo_mismatch: {
    'zh-CN': '图片内容不是声明的 {type}（文件头不符）',
    en: 'The image is not the {type} it claims to be (its magic bytes differ)',
  },
});

/** The order's row if the principal holds `perm` in its township; otherwise the answer is sent. */
export async function orderFor(
  app: App,
  req: FastifyRequest,
  reply: FastifyReply,
  id: number,
  perm: Permission,
): Promise<WorkOrderRow | undefined> {
  const lang = pickLang(req, app.defaultLang);
  const row = await app.workOrders.repo.row(id);
  if (!row) {
    void reply.code(404).send(workOrderError('work_order_not_found', lang, { id: String(id) }));
    return undefined;
  }
  if (!mayIn(app, req, reply, perm, row.township)) return undefined;
  return row;
}

/** Tell the township's SSE audience about the order as it stands now; returns it. */
export async function announce(app: App, id: number) {
  const wo = await app.workOrders.repo.get(id);
  if (wo) app.workOrders.events.emit('change', wo);
  return wo!;
}

const compiled = new Map<TSchema, TypeCheck<TSchema>>();
/**
 * Why a JSON body does not fit `schema` (naming the field), or undefined. Checked here rather than
 * by the route schema so that a POST without a body counts as `{}`.
 */
export function bodyProblem(schema: TSchema, body: unknown): string | undefined {
  let c = compiled.get(schema);
  if (!c) compiled.set(schema, (c = TypeCompiler.Compile(schema)));
  if (c.Check(body)) return undefined;
  const e = c.Errors(body).First();
  return e ? `${e.path.slice(1) || '(body)'}: ${e.message}` : 'invalid';
}

/** A township manager of the township, or a county admin (not through a limited API token). */
export function isManager(req: FastifyRequest, township: string): boolean {
  const p = req.principal;
  if (!p || (p.tokenScopes && !p.tokenScopes.includes('alert:write'))) return false;
  return p.grants.some(
    (g) =>
      g.role === 'county_admin' ||
      (g.role === 'township_manager' && (g.scope === township || g.scope === COUNTY)),
  );
}

/**
 * A state change of one order: `from` the states it may start in; `set` the new values. 409 names
 * the state the order is in when it is none of `from`.
 */
export async function change(
  app: App,
  req: FastifyRequest,
  reply: FastifyReply,
  row: WorkOrderRow,
  c: {
    action: string;
    from: readonly WorkOrderState[];
    set: Parameters<App['workOrders']['repo']['transition']>[3];
    event: Parameters<App['workOrders']['repo']['addEvent']>[2];
  },
) {
  const repo = app.workOrders.repo;
  const ok = await app.ops.db.transaction().execute(async (trx) => {
    if (!(await repo.transition(trx, row.id, c.from, c.set))) return false;
    await repo.addEvent(trx, row.id, c.event);
    const { updated_at: _u, reopenedPlus: _r, ...after } = c.set;
    await recordAudit(
      trx,
      req,
      {
        action: `work_order.${c.action}`,
        target: `work_order:${row.id}`,
        township: row.township,
        before: { state: row.state },
        after: { ...after, note: c.event.text },
      },
      c.event.at,
    );
    return true;
  });
  if (!ok) {
    const now = (await repo.row(row.id))?.state ?? row.state;
    const lang = pickLang(req, app.defaultLang);
    return reply
      .code(409)
      .send(workOrderError('wrong_state', lang, { id: String(row.id), state: now, action: c.action }));
  }
  return { workOrder: await announce(app, row.id) };
}
