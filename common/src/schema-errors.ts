/**
 * TypeBox check errors turned into messages a person can act on: the offending value, the allowed
 * range or values, and a "did you mean". One place for every schema the project checks (station
 * files, process settings, Modbus files), so a range or a misspelt value reads the same everywhere.
 */
import type { TSchema } from '@sinclair/typebox';
import { ValueErrorType, type ValueError } from '@sinclair/typebox/errors';
import { DURATION_PATTERN, parseDuration } from '@yizhan/protocol/duration';
import { didYouMean } from './did-you-mean.js';

/** Describe a value the way the user wrote it. */
export function show(v: unknown): string {
  if (v === null) return 'an empty value';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return typeof v;
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Which node a message is about: the value itself, the misspelt key, or the mapping missing a key. */
export interface ErrorText {
  at: 'value' | 'key' | 'parent';
  message: string;
}

/** What a handler may look at besides the error: the last path segment and the mapping holding it. */
export interface ErrorContext {
  last: string;
  parent?: unknown;
}

function num(s: TSchema, k: string): number | undefined {
  const v: unknown = s[k];
  return typeof v === 'number' ? v : undefined;
}

function rangeMessage(e: ValueError): string {
  const min = num(e.schema, 'minimum');
  const max = num(e.schema, 'maximum');
  if (min !== undefined && max !== undefined)
    return `${show(e.value)} is out of range: must be between ${min} and ${max}`;
  return e.message;
}

/** The literal values of a union of literals, or undefined for any other union. */
export function literalOptions(schema: TSchema): unknown[] | undefined {
  const anyOf: unknown = schema.anyOf;
  if (!Array.isArray(anyOf)) return undefined;
  const opts: unknown[] = [];
  for (const s of anyOf) {
    if (!isRecord(s) || !('const' in s)) return undefined;
    opts.push(s.const);
  }
  return opts;
}

function typeMessage(expected: string, value: unknown): string {
  const base = `expected ${expected}, got ${show(value)}`;
  if (expected === 'text' && (typeof value === 'number' || typeof value === 'boolean'))
    return `${base}; write it in quotes: "${String(value)}"`;
  return base;
}

type Handler = (e: ValueError, ctx: ErrorContext) => string | ErrorText;

const length = (v: unknown): number => (typeof v === 'string' || Array.isArray(v) ? v.length : 0);
const range: Handler = (e) => rangeMessage(e);

/** One message builder per error type; others keep TypeBox's text. */
const HANDLERS: Partial<Record<ValueErrorType, Handler>> = {
  [ValueErrorType.ObjectRequiredProperty]: (e, { last }) => {
    const d = typeof e.schema.description === 'string' ? ` (${e.schema.description})` : '';
    return { at: 'parent', message: `required key "${last}" is missing${d}` };
  },
  [ValueErrorType.ObjectAdditionalProperties]: (e, { last, parent }) => {
    const allowed = isRecord(e.schema.properties) ? Object.keys(e.schema.properties) : [];
    const unused = allowed.filter((k) => !(isRecord(parent) && k in parent));
    const guess = didYouMean(last, unused);
    const message =
      guess !== undefined
        ? `unknown key "${last}"; did you mean "${guess}"?`
        : `unknown key "${last}"; allowed keys here: ${allowed.join(', ')}`;
    return { at: 'key', message };
  },
  [ValueErrorType.Object]: (e) => typeMessage('a mapping (key: value lines)', e.value),
  [ValueErrorType.Array]: (e) => typeMessage('a list', e.value),
  [ValueErrorType.Integer]: (e) => typeMessage('a whole number', e.value),
  [ValueErrorType.Number]: (e) => typeMessage('a number', e.value),
  [ValueErrorType.Boolean]: (e) => typeMessage('true or false', e.value),
  [ValueErrorType.String]: (e) => {
    // `frameTimeout: 30` arrives as a number; say what a duration looks like, not "expected text".
    if (
      e.schema.pattern === DURATION_PATTERN &&
      (typeof e.value === 'number' || typeof e.value === 'boolean')
    ) {
      const d = parseDuration(String(e.value));
      if (!d.ok) return d.message;
    }
    return typeMessage('text', e.value);
  },
  [ValueErrorType.NumberMinimum]: range,
  [ValueErrorType.NumberMaximum]: range,
  [ValueErrorType.IntegerMinimum]: range,
  [ValueErrorType.IntegerMaximum]: range,
  [ValueErrorType.StringMinLength]: (e) => {
    const n = num(e.schema, 'minLength') ?? 0;
    return n <= 1 ? 'must not be empty' : `must be at least ${n} characters long, got ${length(e.value)}`;
  },
  [ValueErrorType.StringMaxLength]: (e) =>
    `is ${length(e.value)} characters long; at most ${num(e.schema, 'maxLength') ?? 0} are allowed`,
  [ValueErrorType.StringPattern]: (e) => {
    if (e.schema.pattern === DURATION_PATTERN && typeof e.value === 'string') {
      const d = parseDuration(e.value);
      if (!d.ok) return d.message;
    }
    const hint =
      typeof e.schema.patternErrorMessage === 'string'
        ? e.schema.patternErrorMessage
        : `must match ${String(e.schema.pattern)}`;
    return `${show(e.value)} is not valid: ${hint}`;
  },
  [ValueErrorType.ArrayMinItems]: (e) =>
    `must have at least ${num(e.schema, 'minItems') ?? 0} item(s), has ${length(e.value)}`,
  [ValueErrorType.ArrayMaxItems]: (e) =>
    `must have at most ${num(e.schema, 'maxItems') ?? 0} items, has ${length(e.value)}`,
  [ValueErrorType.Union]: (e) => {
    const opts = literalOptions(e.schema);
    if (!opts) return `${show(e.value)} does not match any allowed form`;
    const names = opts.map((o) => show(o).replace(/^"(.*)"$/, '$1'));
    const guess = typeof e.value === 'string' ? didYouMean(e.value, names) : undefined;
    return (
      `must be one of ${names.join(', ')}; got ${show(e.value)}` +
      (guess !== undefined ? `; did you mean "${guess}"?` : '')
    );
  },
};

/** One TypeBox error as a message about the value, the key, or the mapping that lacks a key. */
export function describeValueError(e: ValueError, ctx: ErrorContext): ErrorText {
  const handler = HANDLERS[e.type];
  const out = handler ? handler(e, ctx) : e.message;
  return typeof out === 'string' ? { at: 'value', message: out } : out;
}

/**
 * The errors worth reporting: the check visits a missing key's schema as well; those echoes
 * ("expected a number, got undefined") are dropped in favour of "missing".
 */
export function withoutEchoes(errors: readonly ValueError[]): ValueError[] {
  const missing = errors.filter((e) => e.type === ValueErrorType.ObjectRequiredProperty).map((e) => e.path);
  return errors.filter(
    (e) =>
      e.type === ValueErrorType.ObjectRequiredProperty ||
      e.value !== undefined ||
      !missing.some((m) => e.path === m || e.path.startsWith(m + '/')),
  );
}
