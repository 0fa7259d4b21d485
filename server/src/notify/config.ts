/**
 * The routing file (YIZHAN_NOTIFY_FILE, `notify.yaml`; a commented sample is
 * firmware-config/notify.example.yaml): channels, who is told for which township, and the
 * escalation policy. Checked by this TypeBox schema with the station files' `file:line path:
 * message` errors and did-you-mean suggestions; township codes are checked against the hierarchy.
 *
 * No secret lives in the file: `url`, `secret` and `password` may be `${ENV_NAME}` (read from the
 * environment at load; a missing variable refuses the start, naming it) or `{file: /path}` (the
 * file's text, trimmed). {@link secretsOf} lists the resolved values so logs can redact them.
 */
import { readFileSync } from 'node:fs';
import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { didYouMean } from '@yizhan/common/did-you-mean';
import { DURATION_PATTERN, parseDuration } from '@yizhan/protocol/duration';
import { readYamlConfig } from '@yizhan/station-config/read';
import { schemaFindings } from '@yizhan/station-config/schema-errors';
import { formatIssue, type ConfigIssue, type Finding } from '@yizhan/station-config/issues';
import type { EmailOptions } from './channels/email.js';

const Secret = Type.Union(
  [
    Type.String({ minLength: 1, description: 'The value, or ${ENV_NAME} to read it from the environment' }),
    Type.Object({ file: Type.String({ minLength: 1 }) }, { additionalProperties: false }),
  ],
  { description: 'A secret: ${ENV_NAME} or {file: /path}; never the value itself in git' },
);
const Duration = Type.String({
  pattern: DURATION_PATTERN,
  patternErrorMessage: 'write a number and a unit: ms, s, min, h or d (e.g. "30s", "15min")',
});
const CHANNEL_NAME = '^[a-z0-9][a-z0-9_-]{0,63}$';

export const ChannelKinds = ['wecom', 'dingtalk', 'feishu', 'email', 'webhook'] as const;

const ChannelDef = Type.Object(
  {
    name: Type.String({ pattern: CHANNEL_NAME }),
    kind: Type.Union(ChannelKinds.map((k) => Type.Literal(k))),
    url: Type.Optional(Secret),
    secret: Type.Optional(Secret),
    host: Type.Optional(Type.String({ minLength: 1 })),
    port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
    secure: Type.Optional(Type.Boolean()),
    requireTls: Type.Optional(Type.Boolean()),
    /** Accept the SMTP server's self-signed certificate (an internal relay). */
    allowSelfSigned: Type.Optional(Type.Boolean()),
    user: Type.Optional(Type.String({ minLength: 1 })),
    password: Type.Optional(Secret),
    from: Type.Optional(Type.String({ minLength: 3 })),
    to: Type.Optional(Type.Array(Type.String({ minLength: 3 }), { minItems: 1 })),
  },
  { additionalProperties: false },
);

const Route = Type.Object(
  {
    channels: Type.Array(Type.String({ pattern: CHANNEL_NAME }), { minItems: 1 }),
    /** Extra mobiles always @-mentioned on this route (a duty phone). */
    mention: Type.Optional(Type.Array(Type.String({ pattern: '^\\+?\\d{5,20}$' }))),
  },
  { additionalProperties: false },
);

const Policy = Type.Object(
  {
    remindAfter: Type.Optional(Duration),
    escalateAfter: Type.Optional(Duration),
    escalateCountyAfter: Type.Optional(Duration),
    repeatEvery: Type.Optional(Duration),
  },
  { additionalProperties: false },
);
const Severities = Type.Object(
  { critical: Type.Optional(Policy), warning: Type.Optional(Policy), info: Type.Optional(Policy) },
  { additionalProperties: false },
);

export const NotifyFile = Type.Object(
  {
    channels: Type.Array(ChannelDef),
    routes: Type.Object(
      {
        county: Type.Optional(Route),
        townships: Type.Optional(Type.Record(Type.String(), Route)),
      },
      { additionalProperties: false },
    ),
    escalation: Type.Optional(
      Type.Object(
        {
          default: Type.Optional(Severities),
          townships: Type.Optional(Type.Record(Type.String(), Severities)),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type NotifyFile = Static<typeof NotifyFile>;
const check = TypeCompiler.Compile(NotifyFile);

export type SeverityName = 'critical' | 'warning' | 'info';

/** Times of one severity, ms. Infinity: that step never happens. */
export interface EscalationPolicy {
  remindAfterMs: number;
  escalateAfterMs: number;
  escalateCountyAfterMs: number;
  repeatEveryMs: number;
}

export const DEFAULT_ESCALATION: Record<SeverityName, EscalationPolicy> = {
  critical: {
    remindAfterMs: 15 * 60e3,
    escalateAfterMs: 30 * 60e3,
    escalateCountyAfterMs: 2 * 3600e3,
    repeatEveryMs: 3600e3,
  },
  warning: {
    remindAfterMs: 3600e3,
    escalateAfterMs: 4 * 3600e3,
    escalateCountyAfterMs: 24 * 3600e3,
    repeatEveryMs: 4 * 3600e3,
  },
  info: {
    remindAfterMs: Infinity,
    escalateAfterMs: Infinity,
    escalateCountyAfterMs: Infinity,
    repeatEveryMs: Infinity,
  },
};

/** A channel as the channel classes take it: secrets resolved; e-mail's fields as EmailOptions. */
export interface ResolvedChannel extends Partial<Omit<EmailOptions, 'timeoutMs'>> {
  name: string;
  kind: (typeof ChannelKinds)[number];
  url?: string;
  secret?: string;
}

export interface RouteConfig {
  channels: string[];
  mention: string[];
}

export interface NotifyConfig {
  channels: ResolvedChannel[];
  county: RouteConfig | undefined;
  townships: Map<string, RouteConfig>;
  policy(severity: string, township: string): EscalationPolicy;
  /** Every resolved secret value (for redaction). */
  secrets: string[];
}

/** A file's problems (or a secret that cannot be read), printed `file:line path: message`. */
export class NotifyConfigError extends Error {
  constructor(readonly issues: ConfigIssue[]) {
    super(`通知路由文件有误 / notify file invalid:\n${issues.map((i) => formatIssue(i)).join('\n')}`);
  }
}

const MAX_FILE_BYTES = 256 * 1024;
const ENV_REF = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/;

type SecretValue = Static<typeof Secret>;

/** A secret's value, or the finding that explains why it cannot be read (never the value). */
function resolveSecret(
  v: SecretValue,
  path: (string | number)[],
  env: NodeJS.ProcessEnv,
): { value: string } | { finding: Finding } {
  if (typeof v === 'object') {
    try {
      const value = readFileSync(v.file, 'utf8').trim();
      if (value) return { value };
      return { finding: { path, at: 'value', message: `secret file ${v.file} is empty` } };
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? 'error';
      return { finding: { path, at: 'value', message: `cannot read secret file ${v.file} (${code})` } };
    }
  }
  const ref = ENV_REF.exec(v);
  if (!ref) return { value: v };
  const value = env[ref[1]!];
  if (value === undefined || value === '')
    return { finding: { path, at: 'value', message: `environment variable ${ref[1]} is not set` } };
  return { value };
}

function channelFindings(c: NotifyFile['channels'][number], i: number): Finding[] {
  const at = (key: string, message: string): Finding => ({
    path: ['channels', i, key],
    at: 'parent',
    message,
  });
  const out: Finding[] = [];
  if (c.kind === 'email') {
    if (!c.host) out.push(at('host', 'an email channel needs host (the SMTP server)'));
    if (!c.from) out.push(at('from', 'an email channel needs from'));
    if (!c.to) out.push(at('to', 'an email channel needs to (a list of addresses)'));
  } else if (!c.url) out.push(at('url', `a ${c.kind} channel needs url`));
  return out;
}

function routeFindings(
  data: NotifyFile,
  names: readonly string[],
  townships: readonly string[] | undefined,
): Finding[] {
  const out: Finding[] = [];
  const checkRoute = (r: Static<typeof Route>, path: (string | number)[]) =>
    r.channels.forEach((n, k) => {
      if (names.includes(n)) return;
      const guess = didYouMean(n, names);
      const hint = guess ? `; did you mean "${guess}"?` : ` (channels: ${names.join(', ') || 'none'})`;
      out.push({ path: [...path, 'channels', k], at: 'value', message: `unknown channel "${n}"${hint}` });
    });
  if (data.routes.county) checkRoute(data.routes.county, ['routes', 'county']);
  const unknownTownship = (code: string, path: (string | number)[]) => {
    if (!townships || townships.includes(code)) return;
    const guess = didYouMean(code, townships);
    const hint = guess ? `; did you mean "${guess}"?` : ` (known: ${townships.join(', ')})`;
    out.push({ path, at: 'key', message: `unknown township code "${code}"${hint}` });
  };
  for (const [code, r] of Object.entries(data.routes.townships ?? {})) {
    unknownTownship(code, ['routes', 'townships', code]);
    checkRoute(r, ['routes', 'townships', code]);
  }
  for (const code of Object.keys(data.escalation?.townships ?? {}))
    unknownTownship(code, ['escalation', 'townships', code]);
  data.channels.forEach((c, i) => {
    if (data.channels.findIndex((o) => o.name === c.name) !== i)
      out.push({
        path: ['channels', i, 'name'],
        at: 'value',
        message: `channel "${c.name}" is defined twice`,
      });
  });
  return out;
}

function ms(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const d = parseDuration(text);
  return d.ok ? d.ms : undefined;
}

function policyOf(p: Static<typeof Policy> | undefined): Partial<EscalationPolicy> {
  const out: Partial<EscalationPolicy> = {};
  const set = (k: keyof EscalationPolicy, v: string | undefined) => {
    const n = ms(v);
    if (n !== undefined) out[k] = n;
  };
  set('remindAfterMs', p?.remindAfter);
  set('escalateAfterMs', p?.escalateAfter);
  set('escalateCountyAfterMs', p?.escalateCountyAfter);
  set('repeatEveryMs', p?.repeatEvery);
  return out;
}

/**
 * The built config of a checked file: defaults ← file defaults ← township overrides per severity.
 */
function build(data: NotifyFile, channels: ResolvedChannel[], secrets: string[]): NotifyConfig {
  const route = (r: Static<typeof Route>): RouteConfig => ({
    channels: r.channels,
    mention: r.mention ?? [],
  });
  const esc = data.escalation;
  return {
    channels,
    county: data.routes.county ? route(data.routes.county) : undefined,
    townships: new Map(Object.entries(data.routes.townships ?? {}).map(([k, r]) => [k, route(r)])),
    policy(severity, township) {
      const s = (severity in DEFAULT_ESCALATION ? severity : 'warning') as SeverityName;
      return {
        ...DEFAULT_ESCALATION[s],
        ...policyOf(esc?.default?.[s]),
        ...policyOf(esc?.townships?.[township]?.[s]),
      };
    },
    secrets,
  };
}

/** A config without a file: only what YIZHAN_ALERT_WEBHOOK_URL adds (see plugins/notify.ts). */
export function emptyNotifyConfig(): NotifyConfig {
  return build({ channels: [], routes: {} }, [], []);
}

/**
 * Load and check the routing file; throws {@link NotifyConfigError} listing every problem.
 * `townships`: the codes the hierarchy knows (undefined: any code is accepted).
 */
export function loadNotifyFile(
  file: string,
  townships: readonly string[] | undefined,
  env: NodeJS.ProcessEnv = process.env,
): NotifyConfig {
  const parsed = readYamlConfig(file, MAX_FILE_BYTES, 'notify file');
  if ('issues' in parsed) throw new NotifyConfigError(parsed.issues);
  const { data } = parsed;
  const schema = schemaFindings(data, check);
  if (schema.length || !check.Check(data)) throw new NotifyConfigError(parsed.issuesOf(schema));
  const names = data.channels.map((c) => c.name);
  const findings = [...data.channels.flatMap(channelFindings), ...routeFindings(data, names, townships)];
  const secrets: string[] = [];
  const channels = data.channels.map((c, i) => {
    const out: ResolvedChannel = { ...c, url: undefined, secret: undefined, password: undefined };
    for (const key of ['url', 'secret', 'password'] as const) {
      const v = c[key];
      if (v === undefined) {
        delete out[key];
        continue;
      }
      const r = resolveSecret(v, ['channels', i, key], env);
      if ('finding' in r) findings.push(r.finding);
      else {
        out[key] = r.value;
        secrets.push(r.value);
      }
    }
    return out;
  });
  if (findings.length) throw new NotifyConfigError(parsed.issuesOf(findings));
  return build(data, channels, secrets);
}

/**
 * `text` with every secret replaced by `***`, and the query and user info of URLs hidden (a
 * WeCom key or DingTalk access_token sits in the query).
 */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s.length >= 4) out = out.split(s).join('***');
  return out
    .replace(/(https?:\/\/)[^\s/@]*@/g, '$1***@')
    .replace(/(https?:\/\/[^\s?]*)\?[^\s"']*/g, '$1?***');
}
