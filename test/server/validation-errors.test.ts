/**
 * The message of a refused request names the field and says what it must be, in both languages,
 * from the errors ajv really produces for TypeBox schemas like the routes'.
 */
import { describe, expect, it } from 'vitest';
import { Ajv } from 'ajv';
import { Type, type TSchema } from '@sinclair/typebox';
import { describeValidation, type SchemaError } from '../../server/src/validation-errors.js';

const ajv = new Ajv({ coerceTypes: 'array', removeAdditional: false, useDefaults: true });

const Body = Type.Object(
  {
    login: Type.String({ pattern: '^[a-z][a-z0-9_.-]{2,63}$', maxLength: 64 }),
    displayName: Type.String({ minLength: 1, maxLength: 10 }),
    grants: Type.Array(Type.Object({ role: Type.Union([Type.Literal('viewer'), Type.Literal('planner')]) })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
  },
  { additionalProperties: false },
);

function errorsOf(schema: TSchema, data: unknown): SchemaError[] {
  const check = ajv.compile(schema);
  expect(check(data)).toBe(false);
  return (check.errors ?? []) as SchemaError[];
}

const ok = { login: 'wang.wei', displayName: '王伟', grants: [{ role: 'viewer' }] };

describe('describeValidation', () => {
  it.each([
    [{ ...ok, isAdmin: true }, 'body/isAdmin 是未知字段，不接受', 'body/isAdmin is not a known field'],
    [{ displayName: 'x', grants: [] }, '缺少必填字段 body/login', 'body/login is required'],
    [
      { ...ok, login: `' OR 1=1 --` },
      'body/login 格式不符（应匹配 ^[a-z][a-z0-9_.-]{2,63}$）',
      'body/login must match pattern "^[a-z][a-z0-9_.-]{2,63}$"',
    ],
    [
      { ...ok, displayName: 'x'.repeat(11) },
      'body/displayName 最多 10 个字符',
      'body/displayName must NOT have more than 10 characters',
    ],
    [
      { ...ok, displayName: '' },
      'body/displayName 至少 1 个字符',
      'body/displayName must NOT have fewer than 1 characters',
    ],
    // coerceTypes 'array' (as the app's ajv): a lone value becomes a list of one.
    [{ ...ok, grants: 'viewer' }, 'body/grants/0 应为对象', 'body/grants/0 must be object'],
    [
      { ...ok, grants: [{ role: 'king' }] },
      'body/grants/0/role 只能是 "viewer", "planner"',
      'body/grants/0/role must be one of "viewer", "planner"',
    ],
    [{ ...ok, limit: 0 }, 'body/limit 不能小于 1', 'body/limit must be >= 1'],
    [{ ...ok, limit: 'many' }, 'body/limit 应为整数', 'body/limit must be integer'],
  ])('%j', (data, zh, en) => {
    const errors = errorsOf(Body, data);
    expect(describeValidation(errors, 'body', 'zh-CN')).toBe(zh);
    expect(describeValidation(errors, 'body', 'en')).toBe(en);
  });

  it('names the part of the request when the error is about all of it', () => {
    const errors = errorsOf(Body, [1, 2]);
    expect(describeValidation(errors, 'body', 'en')).toBe('body must be object');
    expect(describeValidation(errors, 'body', 'zh-CN')).toBe('body 应为对象');
  });
});
