/**
 * What a refused request did wrong, for people: the field it concerns (`body/login`,
 * `querystring/limit`, `params/id`) and what that field must be, in both languages. Built from the
 * ajv errors fastify attaches to a validation error (`err.validation`, `err.validationContext`);
 * only the first error is shown (ajv stops at it), so the message stays short.
 */
import type { Lang } from './i18n.js';

/** The parts of an ajv ErrorObject used here (fastify's FastifySchemaValidationError). */
export interface SchemaError {
  keyword: string;
  instancePath: string;
  params: Record<string, unknown>;
  message?: string;
}

type Say = (field: string, p: Record<string, unknown>, ajv: string) => string;

const TYPE_ZH: Record<string, string> = {
  string: '字符串',
  integer: '整数',
  number: '数字',
  boolean: '布尔值（true/false）',
  object: '对象',
  array: '数组',
  null: 'null',
};

const list = (v: unknown): string => (Array.isArray(v) ? v.map((x) => JSON.stringify(x)).join(', ') : '');

const ZH: Record<string, Say> = {
  additionalProperties: (f, p) => `${f}/${String(p.additionalProperty)} 是未知字段，不接受`,
  required: (f, p) => `缺少必填字段 ${f}/${String(p.missingProperty)}`,
  type: (f, p) =>
    `${f} 应为${String(p.type)
      .split(',')
      .map((t) => TYPE_ZH[t] ?? t)
      .join('或')}`,
  maxLength: (f, p) => `${f} 最多 ${String(p.limit)} 个字符`,
  minLength: (f, p) => `${f} 至少 ${String(p.limit)} 个字符`,
  pattern: (f, p) => `${f} 格式不符（应匹配 ${String(p.pattern)}）`,
  format: (f, p) => `${f} 格式不符（应为 ${String(p.format)}）`,
  enum: (f, p) => `${f} 只能是 ${list(p.allowedValues)}`,
  anyOf: (f) => `${f} 的值不被接受`,
  maximum: (f, p) => `${f} 不能大于 ${String(p.limit)}`,
  minimum: (f, p) => `${f} 不能小于 ${String(p.limit)}`,
  maxItems: (f, p) => `${f} 最多 ${String(p.limit)} 项`,
  minItems: (f, p) => `${f} 至少 ${String(p.limit)} 项`,
  uniqueItems: (f) => `${f} 有重复项`,
};

const EN: Record<string, Say> = {
  additionalProperties: (f, p) => `${f}/${String(p.additionalProperty)} is not a known field`,
  required: (f, p) => `${f}/${String(p.missingProperty)} is required`,
  enum: (f, p) => `${f} must be one of ${list(p.allowedValues)}`,
};

/** "body/login must match pattern …" / "body/login 格式不符…": the first error, naming its field. */
export function describeValidation(errors: readonly SchemaError[], context: string, lang: Lang): string {
  const e = errors[0];
  if (!e) return context;
  const field = context + e.instancePath;
  const ajv = e.message ?? e.keyword;
  if (e.keyword === 'const') {
    // A union of literals fails once per literal: list them all, as for an enum.
    const allowed = errors
      .filter((x) => x.keyword === 'const' && x.instancePath === e.instancePath)
      .map((x) => x.params.allowedValue);
    return describeValidation([{ ...e, keyword: 'enum', params: { allowedValues: allowed } }], context, lang);
  }
  const say = (lang === 'zh-CN' ? ZH : EN)[e.keyword];
  if (say) return say(field, e.params, ajv);
  return `${field} ${ajv}`;
}
