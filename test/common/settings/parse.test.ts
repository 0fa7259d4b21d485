/** The settings library: one declaration read from env and flags, every problem at once, with where it is. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  defineSettings,
  duration,
  durationText,
  envName,
  envNames,
  flagSwitch,
  int,
  list,
  num,
  oneOf,
  parseFlags,
  parseSettings,
  port,
  size,
  text,
} from '@yizhan/common/settings';

const dir = mkdtempSync(join(tmpdir(), 'yz-settings-'));
const file = (name: string, content: string): string => {
  const f = join(dir, name);
  writeFileSync(f, content);
  return f;
};

/** A process like the ones in the project: its own prefix, env-only, flag-only and secret settings. */
const DECL = defineSettings({
  component: 'server',
  prefix: 'YIZHAN_',
  settings: {
    httpPort: port({ default: 8080, zh: '端口', en: 'port' }),
    influxUrl: text({ env: 'INFLUX_URL', pattern: '^https?://', expected: 'an http(s) URL', zh: '地址', en: 'URL' }),
    retention: duration({ default: '30d', min: 1000, minText: '1s', zh: '保留', en: 'retention' }),
    hold: durationText({ default: '1min', zh: '保持', en: 'hold' }),
    spoolMax: size({ default: '1GB', min: 1024 ** 2, minText: '1MB', flag: 'spool-max', zh: '上限', en: 'bound' }),
    batch: int({ min: 1, max: 100, default: 10, zh: '批', en: 'batch' }),
    speed: num({ min: 0.1, max: 10, default: 1, flag: 'speed', env: false, zh: '倍速', en: 'speed' }),
    lang: oneOf(['zh-CN', 'en'], { default: 'zh-CN', zh: '语言', en: 'language' }),
    token: text({ secret: true, minLength: 16, zh: '令牌', en: 'token' }),
    password: text({ secret: true, pattern: '^[a-z]+$', expected: 'lower-case letters', zh: '密码', en: 'password' }),
    key: oneOf(['alpha', 'beta'], { secret: true, zh: '钥', en: 'key' }),
    trusted: list({ zh: '信任', en: 'trusted' }),
    simulate: flagSwitch({ flag: 'simulate', env: false, zh: '模拟', en: 'simulate' }),
  },
});

describe('names', () => {
  it('derives the variable from the key and the prefix, unless the setting names one or has none', () => {
    expect(envName(DECL, 'httpPort')).toBe('YIZHAN_HTTP_PORT');
    expect(envName(DECL, 'influxUrl')).toBe('INFLUX_URL');
    expect(envName(DECL, 'speed')).toBeUndefined();
    expect(envNames(DECL)).toContain('YIZHAN_TOKEN_FILE');
  });
});

describe('parseSettings', () => {
  const TOKEN = 'a-secret-token-of-32-characters!';
  const good: { name: string; env?: Record<string, string>; flags?: string[]; expect: Record<string, unknown> }[] = [
    {
      name: 'defaults, decoded',
      expect: { httpPort: 8080, retention: 30 * 86_400_000, hold: '1min', spoolMax: 1024 ** 3, batch: 10, speed: 1, lang: 'zh-CN', simulate: false },
    },
    {
      name: 'values from the environment',
      env: { YIZHAN_HTTP_PORT: '9000', INFLUX_URL: 'http://db:8086', YIZHAN_RETENTION: '2h', YIZHAN_LANG: 'en', YIZHAN_TRUSTED: '10.0.0.7, ,10.0.0.8' },
      expect: { httpPort: 9000, influxUrl: 'http://db:8086', retention: 7_200_000, lang: 'en', trusted: ['10.0.0.7', '10.0.0.8'] },
    },
    { name: 'an empty variable is unset', env: { YIZHAN_HTTP_PORT: '' }, expect: { httpPort: 8080 } },
    { name: 'a flag wins over the variable', env: { YIZHAN_SPOOL_MAX: '2GB' }, flags: ['--spool-max', '64MB'], expect: { spoolMax: 64 * 1024 ** 2 } },
    { name: 'flags with = and switches', flags: ['--speed=2.5', '--simulate'], expect: { speed: 2.5, simulate: true } },
    { name: 'a secret from its _FILE, trimmed', env: { YIZHAN_TOKEN_FILE: file('token', `${TOKEN}\n`) }, expect: { token: TOKEN } },
  ];
  it.each(good)('reads $name', (c) => {
    const flags = parseFlags(DECL, c.flags ?? []);
    expect(flags.problems).toEqual([]);
    const r = parseSettings(DECL, { env: c.env ?? {}, flags: flags.flags });
    expect(r.problems).toEqual([]);
    expect(r.values).toMatchObject(c.expect);
  });

  const bad: { name: string; env: Record<string, string>; problem: string | RegExp }[] = [
    { name: 'port not a number', env: { YIZHAN_HTTP_PORT: 'abc' }, problem: 'YIZHAN_HTTP_PORT: must be a port number 1..65535, got "abc"' },
    { name: 'port out of range', env: { YIZHAN_HTTP_PORT: '70000' }, problem: 'YIZHAN_HTTP_PORT: must be a port number 1..65535, got "70000"' },
    { name: 'a pattern, with its expected phrase', env: { INFLUX_URL: 'db:8086' }, problem: 'INFLUX_URL: must be an http(s) URL, got "db:8086"' },
    { name: 'a duration without unit', env: { YIZHAN_RETENTION: '30' }, problem: /^YIZHAN_RETENTION: "30" is not a duration; write a number and a unit/ },
    { name: 'a duration below the bound', env: { YIZHAN_RETENTION: '10ms' }, problem: 'YIZHAN_RETENTION: "10ms" is below the smallest accepted duration, 1s' },
    { name: 'a duration kept as text is still checked', env: { YIZHAN_HOLD: 'soon' }, problem: /^YIZHAN_HOLD: "soon" is not a duration/ },
    { name: 'a size without unit', env: { YIZHAN_SPOOL_MAX: '1024' }, problem: /^YIZHAN_SPOOL_MAX: "1024" is not a size/ },
    { name: 'a size below the bound (unit slip)', env: { YIZHAN_SPOOL_MAX: '1KB' }, problem: 'YIZHAN_SPOOL_MAX: "1KB" is below the smallest accepted size, 1MB' },
    { name: 'a whole number', env: { YIZHAN_BATCH: '1.5' }, problem: 'YIZHAN_BATCH: must be a whole number 1..100, got "1.5"' },
    { name: 'one of, with a did-you-mean', env: { YIZHAN_LANG: 'EN' }, problem: 'YIZHAN_LANG: must be one of zh-CN, en; got "EN"; did you mean "en"?' },
    { name: 'a short secret, value not shown', env: { YIZHAN_TOKEN: 'short-secret' }, problem: 'YIZHAN_TOKEN: must be at least 16 characters long, got 12 (value not shown)' },
    { name: 'a secret with a pattern, value not shown', env: { YIZHAN_PASSWORD: 'Secret-1' }, problem: 'YIZHAN_PASSWORD: must be lower-case letters, got (value not shown)' },
    { name: 'a secret the message builder would quote', env: { YIZHAN_KEY: 'alphx' }, problem: /^YIZHAN_KEY: must be one of alpha, beta; got \(value not shown\)/ },
    { name: 'a secret and its file', env: { YIZHAN_TOKEN: TOKEN, YIZHAN_TOKEN_FILE: file('t2', TOKEN) }, problem: 'YIZHAN_TOKEN_FILE: set either it or YIZHAN_TOKEN, not both' },
    { name: 'an unreadable file', env: { YIZHAN_TOKEN_FILE: '/nonexistent/token' }, problem: /^YIZHAN_TOKEN_FILE: cannot read \/nonexistent\/token: ENOENT/ },
    { name: 'an empty file', env: { YIZHAN_TOKEN_FILE: file('empty', '\n') }, problem: /^YIZHAN_TOKEN_FILE: .*empty is empty$/ },
    { name: 'a short secret in its file', env: { YIZHAN_TOKEN_FILE: file('short', 'short') }, problem: 'YIZHAN_TOKEN_FILE: must be at least 16 characters long, got 5 (value not shown)' },
    { name: 'a typo of an own name', env: { YIZHAN_HTTP_PROT: '1' }, problem: 'YIZHAN_HTTP_PROT: unknown setting; did you mean YIZHAN_HTTP_PORT?' },
    {
      name: "the closest name wins over a farther own one",
      env: { YIZHAN_MQTT_PROT: '1' },
      problem: 'YIZHAN_MQTT_PROT: unknown setting; did you mean YIZHAN_MQTT_PORT (a setting of broker)?',
    },
    {
      name: "a typo of another component's name says whose it is",
      env: { YIZHAN_MQTT_TLS_PROT: '8883' },
      problem: 'YIZHAN_MQTT_TLS_PROT: unknown setting; did you mean YIZHAN_MQTT_TLS_PORT (a setting of broker)?',
    },
    { name: 'nothing close', env: { YIZHAN_COMPLETELY_DIFFERENT_THING: '1' }, problem: 'YIZHAN_COMPLETELY_DIFFERENT_THING: unknown setting' },
  ];
  it.each(bad)('refuses $name', ({ env, problem }) => {
    const r = parseSettings(DECL, { env });
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]).toMatch(problem);
    for (const secret of [TOKEN, 'short-secret', 'Secret-1', 'alphx']) expect(r.problems.join('\n')).not.toContain(secret);
  });

  it('reports every problem at once, unknown names first, and keeps the defaults of the wrong ones', () => {
    const r = parseSettings(DECL, { env: { YIZHAN_LANGG: 'en', YIZHAN_HTTP_PORT: 'x', YIZHAN_BATCH: '0' } });
    expect(r.problems.map((p) => p.split(':')[0])).toEqual(['YIZHAN_LANGG', 'YIZHAN_HTTP_PORT', 'YIZHAN_BATCH']);
    expect(r.values).toMatchObject({ httpPort: 8080, batch: 10 });
  });

  it("accepts other components' names and prefixes, and the tests' and benchmarks' own", () => {
    const env = { YIZHAN_MQTT_TLS_PORT: '8883', YIZHAN_SIM_SPEED: '10', YIZHAN_BROKER_ANYTHING: '1', YIZHAN_EDGE_X: '1', YIZHAN_TEST_Y: '1', YIZHAN_BENCH_Z: '1', PATH: '/usr/bin' };
    expect(parseSettings(DECL, { env }).problems).toEqual([]);
  });

  it('says which settings were given', () => {
    const r = parseSettings(DECL, { env: { YIZHAN_BATCH: '10' } });
    expect([...r.given]).toEqual(['batch']);
  });
});

describe('parseFlags', () => {
  it.each([
    { argv: ['--spool-maxx', '1GB'], problem: '--spool-maxx: unknown flag; did you mean --spool-max?' },
    { argv: ['--nothing-like-it'], problem: '--nothing-like-it: unknown flag' },
    { argv: ['--speed'], problem: '--speed: needs a value' },
  ])('refuses $argv', ({ argv, problem }) => {
    expect(parseFlags(DECL, argv).problems).toEqual([problem]);
  });

  it('a wrong flag value names the flag', () => {
    const f = parseFlags(DECL, ['--speed', '0', '--spool-maxx', '1GB']);
    const r = parseSettings(DECL, { env: {}, flags: f.flags });
    expect([...f.problems, ...r.problems]).toEqual([
      '--spool-maxx: unknown flag; did you mean --spool-max?',
      '--speed: must be a number 0.1..10, got "0"',
    ]);
  });

  it('keeps positional arguments apart', () => {
    const r = parseFlags(DECL, ['add', '--simulate', 'st-001']);
    expect(r).toEqual({ flags: { simulate: true }, positionals: ['add', 'st-001'], problems: [] });
  });
});
