import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
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
    errors: (v) => [...c.Errors(v)].slice(0, 10).map((e) => `${e.path || '/'}: ${e.message}`),
  };
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
