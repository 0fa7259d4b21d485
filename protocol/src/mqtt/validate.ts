import { TypeCompiler, ValueErrorType, type TypeCheck, type ValueError } from '@sinclair/typebox/compiler';
import type { TSchema, Static } from '@sinclair/typebox';
import { PayloadSchemas, type PayloadFor } from './payloads.js';
import type { TopicLeafValue } from './topics.js';

/** Why a payload was refused. `reason` is a stable label for counters; `message` is for logs. */
export interface PayloadError {
  reason: 'not_utf8' | 'not_json' | 'schema' | 'too_large';
  message: string;
}

/** Largest payload accepted, in bytes. */
export const MAX_PAYLOAD_BYTES = 64 * 1024;

/** A compiled check: returns the typed value, or every error as `path: message`. */
export interface Validator<T> {
  check(value: unknown): value is T;
  errors(value: unknown): string[];
}

export function compile<S extends TSchema>(schema: S): Validator<Static<S>> {
  const c: TypeCheck<S> = TypeCompiler.Compile(schema);
  return {
    check: (v): v is Static<S> => c.Check(v),
    errors: (v) => [...c.Errors(v)].slice(0, 10).flatMap(describeError).slice(0, 10),
  };
}

/**
 * One error as `path: message`. TypeBox reports a failed union only as "Expected union value";
 * say instead which values a union of literals allows; for a union of objects told apart by a
 * literal property (e.g. `type`), what is wrong in the variant the value names (or which tags
 * exist); for other unions, what is wrong in the variant that came closest (fewest errors).
 */
function describeError(e: ValueError): string[] {
  const here = e.path || '/';
  if (e.type !== ValueErrorType.Union) return [`${here}: ${e.message}`];
  const variants: TSchema[] = Array.isArray(e.schema.anyOf) ? (e.schema.anyOf as TSchema[]) : [];
  if (variants.length > 0 && variants.every((s) => 'const' in s)) {
    const got = JSON.stringify(e.value) ?? String(e.value);
    const allowed = variants.map((s) => JSON.stringify(s.const)).join(', ');
    return [`${here}: expected one of ${allowed}, got ${got.length > 40 ? got.slice(0, 40) + '…' : got}`];
  }
  const tag = discriminator(variants);
  if (tag !== undefined && typeof e.value === 'object' && e.value !== null) {
    const got: unknown = (e.value as Record<string, unknown>)[tag];
    const i = variants.findIndex((s) => (s.properties as Record<string, TSchema>)[tag]?.const === got);
    const chosen = i >= 0 ? [...(e.errors[i] ?? [])] : [];
    if (chosen.length > 0) return chosen.flatMap(describeError);
    const allowed = variants.map((s) => JSON.stringify((s.properties as Record<string, TSchema>)[tag]?.const)).join(', ');
    return [`${here === '/' ? '' : here}/${tag}: expected one of ${allowed}, got ${JSON.stringify(got) ?? 'nothing'}`];
  }
  let closest: ValueError[] | undefined;
  for (const it of e.errors) {
    const list = [...it];
    if (list.length > 0 && (!closest || list.length < closest.length)) closest = list;
  }
  return closest ? closest.flatMap(describeError) : [`${here}: ${e.message}`];
}

/** The property every variant of a union of objects fixes to a different literal (e.g. `type`), if any. */
function discriminator(variants: TSchema[]): string | undefined {
  const first = variants[0]?.properties as Record<string, TSchema> | undefined;
  if (!first) return undefined;
  return Object.keys(first).find((k) => {
    const values = variants.map((s) => (s.properties as Record<string, TSchema> | undefined)?.[k]?.const as unknown);
    return values.every((v) => v !== undefined) && new Set(values).size === values.length;
  });
}

const compiled = Object.fromEntries(
  Object.entries(PayloadSchemas).map(([leaf, schema]) => [leaf, compile(schema)]),
) as { [K in TopicLeafValue]: Validator<PayloadFor[K]> };

export type DecodeResult<T> = { ok: true; value: T } | { ok: false; error: PayloadError };

/** Decode and validate a raw MQTT payload for a topic leaf. Never throws. */
export function decodePayloadFor<K extends TopicLeafValue>(leaf: K, raw: Buffer | Uint8Array): DecodeResult<PayloadFor[K]> {
  if (raw.length > MAX_PAYLOAD_BYTES)
    return { ok: false, error: { reason: 'too_large', message: `payload of ${raw.length} bytes > ${MAX_PAYLOAD_BYTES}` } };
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(raw);
  } catch {
    return { ok: false, error: { reason: 'not_utf8', message: 'payload is not valid UTF-8' } };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { ok: false, error: { reason: 'not_json', message: `payload is not JSON: ${(e as Error).message}` } };
  }
  const v = compiled[leaf] as Validator<PayloadFor[K]>;
  if (!v.check(value)) return { ok: false, error: { reason: 'schema', message: v.errors(value).join('; ') } };
  return { ok: true, value };
}

export const validators = compiled;
