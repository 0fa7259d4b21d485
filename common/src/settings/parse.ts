/**
 * Reads a process's declared settings from the environment and the command line. Every problem is
 * collected, each naming where it is (`YIZHAN_HTTP_PORT`, `--spool-max`): a wrong setting refuses
 * the start with the whole list, never one at a time. Unknown `YIZHAN_*` variables and unknown
 * flags get a "did you mean" over the names of every component (catalogue.ts), and a name another
 * component owns is accepted: `npm start` gives every process one environment.
 */
import { readFileSync } from 'node:fs';
import { Value } from '@sinclair/typebox/value';
import { didYouMean } from '../did-you-mean.js';
import { describeValueError, show } from '../schema-errors.js';
import { CATALOGUE, IGNORED_PREFIXES } from './catalogue.js';
import { HIDDEN, type Setting } from './kinds.js';

export type Settings = Record<string, Setting<unknown>>;

export interface Declaration<S extends Settings> {
  /** Name of the process in messages and the catalogue (`server`, `broker`, `edge`, `start`). */
  component: string;
  /** Prefix of derived variable names (`YIZHAN_`): key `httpPort` → `YIZHAN_HTTP_PORT`. */
  prefix: string;
  settings: S;
}

export type Values<S extends Settings> = { [K in keyof S]: S[K] extends Setting<infer T> ? T : never };

export interface ParseResult<S extends Settings> {
  /** Every setting; one that is wrong has its default (a process cross-checks the rest, then refuses). */
  values: Values<S>;
  /** Keys given in the environment or on the command line. */
  given: Set<keyof S>;
  /** `WHERE: message`, one per problem; empty when every setting is right. */
  problems: string[];
}

export function defineSettings<S extends Settings>(d: Declaration<S>): Declaration<S> {
  return d;
}

const snake = (key: string): string => key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();

/** The environment variable of a setting, or undefined for a flag-only one. */
export function envName(d: Declaration<Settings>, key: string): string | undefined {
  const s = d.settings[key];
  if (s === undefined || s.env === false) return undefined;
  return s.env ?? `${d.prefix}${snake(key)}`;
}

/** Every variable name a declaration reads, `_FILE` variants included. */
export function envNames(d: Declaration<Settings>): string[] {
  return Object.keys(d.settings).flatMap((k) => {
    const n = envName(d, k);
    if (n === undefined) return [];
    return d.settings[k]?.secret ? [n, `${n}_FILE`] : [n];
  });
}

/** `did you mean X?` for the closest name (own names win ties), naming the owner when X is another's. */
function hintFor(word: string, own: readonly string[], component: string): string {
  const others = Object.entries(CATALOGUE).filter(([owner]) => owner !== component);
  const guess = didYouMean(word, [...own, ...others.flatMap(([, c]) => c.names)]);
  if (guess === undefined) return '';
  if (own.includes(guess)) return `; did you mean ${guess}?`;
  const owner = others.find(([, c]) => c.names.includes(guess))?.[0];
  return `; did you mean ${guess} (a setting of ${owner})?`;
}

function unknownVariables(d: Declaration<Settings>, env: NodeJS.ProcessEnv): string[] {
  const own = envNames(d);
  const ownPrefixes = CATALOGUE[d.component]?.prefixes ?? [];
  const problems: string[] = [];
  for (const name of Object.keys(env).sort()) {
    if (!name.startsWith('YIZHAN_') || own.includes(name) || !env[name]) continue; // empty = unset
    const owner = Object.entries(CATALOGUE).find(([, c]) => c.names.includes(name));
    if (owner) continue;
    const foreignPrefix = [...IGNORED_PREFIXES, ...Object.entries(CATALOGUE).flatMap(([o, c]) => (o === d.component ? [] : c.prefixes))]
      .filter((p) => !ownPrefixes.includes(p))
      .some((p) => name.startsWith(p));
    if (foreignPrefix) continue;
    problems.push(`${name}: unknown setting${hintFor(name, own, d.component)}`);
  }
  return problems;
}

/** The written value of a setting and where it came from; problems with a `_FILE` go to `bad`. */
function source(
  d: Declaration<Settings>,
  key: string,
  env: NodeJS.ProcessEnv,
  flags: Record<string, string | boolean | undefined>,
  bad: (where: string, message: string) => void,
): { where: string; raw: unknown } | undefined {
  const s = d.settings[key] as Setting<unknown>;
  const name = envName(d, key);
  if (s.flag !== undefined && flags[s.flag] !== undefined) return { where: `--${s.flag}`, raw: flags[s.flag] };
  const direct = name !== undefined && env[name] !== '' ? env[name] : undefined;
  const file = name !== undefined && s.secret && env[`${name}_FILE`] ? env[`${name}_FILE`] : undefined;
  if (file === undefined) return direct === undefined || name === undefined ? undefined : { where: name, raw: direct };
  const where = `${name}_FILE`;
  if (direct !== undefined) {
    bad(where, `set either it or ${name}, not both`);
    return undefined;
  }
  try {
    const content = readFileSync(file, 'utf8').trim();
    if (content === '') bad(where, `${file} is empty`);
    return content === '' ? undefined : { where, raw: content };
  } catch (e) {
    bad(where, `cannot read ${file}: ${(e as Error).message}`);
    return undefined;
  }
}

/** Text to the schema's type. Numbers are plain decimals: TypeBox would take "1.5" as the integer 1. */
function convert(s: Setting<unknown>, raw: string): unknown {
  const type: unknown = s.schema.type;
  if (type === 'integer' || type === 'number') return /^[+-]?\d+(\.\d+)?$/.test(raw.trim()) ? Number(raw) : raw;
  return Value.Convert(s.schema, raw);
}

/** Check and decode one written value: the value, or a message saying what is wrong. */
function decodeOne(s: Setting<unknown>, raw: unknown): { ok: true; value: unknown } | { ok: false; message: string } {
  const value = typeof raw === 'string' ? convert(s, raw) : raw;
  const first = Value.Errors(s.schema, value).First();
  let r: { ok: true; value: unknown } | { ok: false; message: string };
  if (first === undefined) r = s.decode(value);
  else if (s.expected !== undefined) r = { ok: false, message: `must be ${s.expected}, got ${show(raw)}` };
  else r = { ok: false, message: describeValueError(first, { last: '' }).message };
  if (r.ok || !s.secret) return r;
  // A secret never appears in a message, whatever the message builder quoted.
  const text = String(raw);
  const message = text === '' ? r.message : r.message.split(JSON.stringify(text)).join(HIDDEN).split(text).join(HIDDEN);
  return { ok: false, message: message.includes(HIDDEN) ? message : `${message} ${HIDDEN}` };
}

/** Every flag of a declaration and whether it takes a value. */
function flagOptions(d: Declaration<Settings>): Record<string, { type: 'string' | 'boolean' }> {
  const out: Record<string, { type: 'string' | 'boolean' }> = {};
  for (const s of Object.values(d.settings))
    if (s.flag !== undefined) out[s.flag] = { type: s.switch ? 'boolean' : 'string' };
  return out;
}

export interface Inputs {
  env?: NodeJS.ProcessEnv;
  /** Parsed flags (see parseFlags), by flag name. */
  flags?: Record<string, string | boolean | undefined>;
}

/** Read and check every setting. Never throws; every problem is in `problems`. */
export function parseSettings<S extends Settings>(d: Declaration<S>, inputs: Inputs = {}): ParseResult<S> {
  const env = inputs.env ?? process.env;
  const flags = inputs.flags ?? {};
  const problems = unknownVariables(d, env);
  const bad = (where: string, message: string): void => {
    problems.push(`${where}: ${message}`);
  };
  const values: Record<string, unknown> = {};
  const given = new Set<keyof S>();
  for (const [key, s] of Object.entries(d.settings)) {
    const src = source(d, key, env, flags, bad);
    if (src !== undefined) given.add(key);
    const raw = src?.raw ?? s.default;
    if (raw === undefined) continue;
    const r = decodeOne(s, raw);
    if (r.ok) values[key] = r.value;
    else {
      bad(src?.where ?? envName(d, key) ?? `--${s.flag}`, r.message);
      const fallback = s.default === undefined ? undefined : decodeOne(s, s.default);
      if (fallback?.ok) values[key] = fallback.value;
    }
  }
  return { values: values as Values<S>, given, problems: [...new Set(problems)] };
}

export interface FlagResult {
  /** Every flag given, known ones only: parseSettings checks their values even when others were wrong. */
  flags: Record<string, string | boolean | undefined>;
  positionals: string[];
  problems: string[];
}

/** The command line against a declaration's flags; unknown flags get a did-you-mean. */
export function parseFlags(d: Declaration<Settings>, argv: readonly string[]): FlagResult {
  const options = flagOptions(d);
  const known = Object.keys(options);
  const flags: Record<string, string | boolean | undefined> = {};
  const positionals: string[] = [];
  const problems: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const m = /^--([^=]+)(?:=(.*))?$/.exec(arg);
    if (!m) {
      positionals.push(arg);
      continue;
    }
    const name = m[1] as string;
    const opt = options[name];
    if (opt === undefined) {
      const guess = didYouMean(name, known);
      problems.push(`--${name}: unknown flag${guess === undefined ? '' : `; did you mean --${guess}?`}`);
      continue;
    }
    if (opt.type === 'boolean') flags[name] = true;
    else if (m[2] !== undefined) flags[name] = m[2];
    else if (i + 1 < argv.length && !(argv[i + 1] as string).startsWith('--')) flags[name] = argv[++i];
    else problems.push(`--${name}: needs a value`);
  }
  return { flags, positionals, problems };
}
