/**
 * What the staff's report routes share: their error texts, the report lookup with its township
 * check, and the answer after a step (the report as staff see it, and the SSE audience told).
 */
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Permission } from '../../auth/roles.js';
import { errorTable, pickLang } from '../../i18n.js';
import type { ReportRow } from '../../reports/repo.js';
import { mayIn } from '../township-access.js';

export type App = Parameters<FastifyPluginCallbackTypebox>[0];

export const staffReportError = errorTable({
  report_not_found: { 'zh-CN': '没有编号为 {id} 的骑手反映', en: 'No rider report with id {id}' },
  wrong_status: {
    'zh-CN': '反映 {id} 当前状态为“{status}”，不能{action}',
    en: 'Report {id} is {status}: cannot {action}',
  },
  reason_needed: {
    'zh-CN': 'body/reason：判定为“{decision}”须填写理由（骑手可见）',
    en: 'body/reason: a "{decision}" decision needs a reason (the rider sees it)',
  },
  duplicate_needed: {
    'zh-CN': 'body/duplicateOf：判定为重复须给出先前反映的回执号',
    en: "body/duplicateOf: a duplicate needs the earlier report's receipt",
  },
  duplicate_unknown: {
    'zh-CN': 'body/duplicateOf：没有回执号为 {receipt} 的其他反映',
    en: 'body/duplicateOf: no other report with receipt {receipt}',
  },
  station_report: {
    'zh-CN': '反映 {id} 是驿站问题：随工单 {order} 处理，不能指派或直接办结',
    en: 'Report {id} is a station problem: it follows work order {order} and is not assigned or resolved by hand',
  },
  bad_assignee: {
    'zh-CN': 'body/userId：用户 {user} 不存在、已停用，或不是镇街 {township} 的网格员',
    en: 'body/userId: user {user} does not exist, is disabled, or is no grid staff of township {township}',
  },
  one_assignee: {
    'zh-CN': 'body/userId：须给出 userId（网格员）或 department（转交部门）之一',
    en: 'body/userId: give either userId (a grid member) or department (forwarded), not both',
  },
  not_assignee: {
    'zh-CN': '只有被指派的网格员或镇街管理员、县管理员可以办结反映 {id}',
    en: 'Only the assigned grid member, a township manager or a county admin may resolve report {id}',
  },
  photo_not_found: { 'zh-CN': '反映 {id} 没有第 {n} 张照片', en: 'Report {id} has no photo {n}' },
});

/** The report's row if the principal holds `perm` in its township; otherwise the answer is sent. */
export async function reportFor(
  app: App,
  req: FastifyRequest,
  reply: FastifyReply,
  id: number,
  perm: Permission,
): Promise<ReportRow | undefined> {
  const row = await app.riderReports.repo.row(id);
  if (!row) {
    void reply
      .code(404)
      .send(staffReportError('report_not_found', pickLang(req, app.defaultLang), { id: String(id) }));
    return undefined;
  }
  if (!mayIn(app, req, reply, perm, row.township)) return undefined;
  return row;
}
