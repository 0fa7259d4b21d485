/**
 * The kinds of setting a process can declare. Each carries a TypeBox schema of the value as it is
 * written (checked, and shown in --help and the README tables), its default in that same written
 * form (the one place it is stated), its description in Chinese and English, and how the checked
 * value becomes what the process uses (a duration into ms, a size into bytes).
 */
import { Type, type TSchema } from '@sinclair/typebox';
import { DURATION_PATTERN, parseDuration, parseSize } from '@yizhan/protocol/duration';
import { LOG_LEVELS, type LogLevel } from '../log-levels.js';
import { brokerListProblem } from '../mqtt-url.js';

export type Decoded<T> = { ok: true; value: T } | { ok: false; message: string };

/** What every kind takes besides its own bounds. */
export interface SettingDoc {
  /** Meaning in Simplified Chinese (shown first). */
  zh: string;
  /** Meaning in English. */
  en: string;
  /** Environment variable; absent: the declaration's prefix + the key in UPPER_SNAKE; false: none. */
  env?: string | false;
  /** Command-line flag without the dashes (`spool-max`); absent: none. */
  flag?: string;
  /** Never echoed in a message; `NAME_FILE` is accepted too (the file's trimmed content is the value). */
  secret?: boolean;
  /** Default as shown when it derives from other settings (`$YIZHAN_DATA_DIR/edge/<station>`). */
  defaultText?: string;
}

export interface Setting<T> extends Readonly<SettingDoc> {
  /** The value as written, after TypeBox's conversion from text (`"8080"` → 8080). */
  readonly schema: TSchema;
  /** Default in the written form (`"30d"`, 8080); absent: the setting is optional. */
  readonly default?: string | number | boolean;
  /** A switch (`--simulate`): a flag without a value. */
  readonly switch?: boolean;
  /** Phrase after "must be" when the schema refuses the value; absent: the schema error's message. */
  readonly expected?: string;
  /** The checked value as the process uses it. */
  readonly decode: (v: unknown) => Decoded<T>;
}

/** `Setting<T>` when a default is given, `Setting<T | undefined>` when not. */
type Opt<D, T> = [D] extends [undefined] ? Setting<T | undefined> : Setting<T>;

const ok = <T>(value: T): Decoded<T> => ({ ok: true, value });
const asIs = <T>(v: unknown): Decoded<T> => ok(v as T);

function make<T>(doc: SettingDoc, rest: Omit<Setting<T>, keyof SettingDoc>): Setting<T> {
  return { ...doc, ...rest };
}

export function text<D extends string | undefined = undefined>(
  o: SettingDoc & { default?: D; minLength?: number; pattern?: string; expected?: string },
): Opt<D, string> {
  const schema = Type.String({ minLength: o.minLength ?? 1, ...(o.pattern ? { pattern: o.pattern } : {}) });
  return make<string>(o, { schema, default: o.default, expected: o.expected, decode: asIs });
}

export function int<D extends number | undefined = undefined>(
  o: SettingDoc & { min: number; max: number; default?: D; expected?: string },
): Opt<D, number> {
  return make<number>(o, {
    schema: Type.Integer({ minimum: o.min, maximum: o.max }),
    default: o.default,
    expected: o.expected ?? `a whole number ${o.min}..${o.max}`,
    decode: asIs,
  });
}

export function port<D extends number | undefined = undefined>(
  o: SettingDoc & { default?: D; min?: number },
): Opt<D, number> {
  const min = o.min ?? 1;
  return int({ ...o, min, max: 65535, expected: `a port number ${min}..65535` });
}

export function num<D extends number | undefined = undefined>(
  o: SettingDoc & { min: number; max: number; default?: D },
): Opt<D, number> {
  return make<number>(o, {
    schema: Type.Number({ minimum: o.min, maximum: o.max }),
    default: o.default,
    expected: `a number ${o.min}..${o.max}`,
    decode: asIs,
  });
}

export function oneOf<const V extends readonly string[], D extends V[number] | undefined = undefined>(
  values: V,
  o: SettingDoc & { default?: D },
): Opt<D, V[number]> {
  return make<V[number]>(o, {
    schema: Type.Union(values.map((v) => Type.Literal(v))),
    default: o.default,
    decode: asIs,
  });
}

/** Bounds of a duration or size, in ms or bytes, with the written form used in messages. */
interface Bounds {
  min?: number;
  minText?: string;
  max?: number;
  maxText?: string;
}

function bounded(written: string, n: number, b: Bounds, what: string): Decoded<number> {
  if (b.min !== undefined && n < b.min)
    return { ok: false, message: `"${written}" is below the smallest accepted ${what}, ${b.minText ?? b.min}` };
  if (b.max !== undefined && n > b.max)
    return { ok: false, message: `"${written}" is above the largest accepted ${what}, ${b.maxText ?? b.max}` };
  return ok(n);
}

/** A duration with its unit (`500ms`, `30s`, `5min`, `2h`, `30d`), used in ms. */
export function duration<D extends string | undefined = undefined>(
  o: SettingDoc & Bounds & { default?: D },
): Opt<D, number> {
  return make<number>(o, {
    schema: Type.String({ pattern: DURATION_PATTERN }),
    default: o.default,
    decode: (v) => {
      const d = parseDuration(String(v));
      return d.ok ? bounded(String(v), d.ms, o, 'duration') : d;
    },
  });
}

/** A duration kept as written (`"1min"`), for options that take the text. */
export function durationText<D extends string | undefined = undefined>(
  o: SettingDoc & { default?: D },
): Opt<D, string> {
  return make<string>(o, {
    schema: Type.String({ pattern: DURATION_PATTERN }),
    default: o.default,
    decode: (v) => {
      const d = parseDuration(String(v));
      return d.ok ? ok(String(v)) : d;
    },
  });
}

/** A byte size with its unit (`512MB`, `1GB`; powers of 1024), used in bytes. */
export function size<D extends string | undefined = undefined>(
  o: SettingDoc & Bounds & { default?: D },
): Opt<D, number> {
  return make<number>(o, {
    schema: Type.String({ minLength: 1 }),
    default: o.default,
    decode: (v) => {
      const r = parseSize(String(v));
      return r.ok ? bounded(String(v), r.bytes, o, 'size') : r;
    },
  });
}

/** Comma-separated values (`10.0.0.7, 10.0.0.8`), blanks dropped. */
export function list(o: SettingDoc): Setting<string[] | undefined> {
  return make<string[] | undefined>(o, {
    schema: Type.String({ minLength: 1 }),
    decode: (v) =>
      ok(
        String(v)
          .split(',')
          .map((a) => a.trim())
          .filter(Boolean),
      ),
  });
}

/**
 * A broker URL, or several separated by commas (a cluster's nodes, tried in turn; mqtt-url.ts),
 * kept as written: each entry is checked and a wrong one is named (`entry 2 "mqtt//b" is not a URL`).
 */
export function brokerUrls<D extends string | undefined = undefined>(
  o: SettingDoc & { default?: D },
): Opt<D, string> {
  return make<string>(o, {
    schema: Type.String({ minLength: 1 }),
    default: o.default,
    decode: (v) => {
      const problem = brokerListProblem(String(v));
      return problem === undefined ? ok(String(v)) : { ok: false, message: problem };
    },
  });
}

/** A command-line switch (`--simulate`), false unless given. */
export function flagSwitch(o: SettingDoc & { flag: string }): Setting<boolean> {
  return make<boolean>(o, { schema: Type.Boolean(), default: false, switch: true, decode: asIs });
}

/** LOG_LEVEL, one setting shared by every process. */
export function logLevel(): Setting<LogLevel> {
  return oneOf(LOG_LEVELS, { env: 'LOG_LEVEL', default: 'info', zh: 'pino 日志级别', en: 'pino log level' });
}

/** Shown in messages for a secret value. */
export const HIDDEN = '(value not shown)';

/** Text of a default for --help and tables. */
export function defaultShown(s: Setting<unknown>): string {
  if (s.defaultText !== undefined) return s.defaultText;
  if (s.switch) return '';
  return s.default === undefined ? '' : String(s.default);
}
