/** Server settings from the environment: defaults, conversions, and clear `NAME: message` errors. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeConfig, loadConfig } from '@yizhan/server/config';

describe('loadConfig', () => {
  it('defaults match the team settings table', () => {
    const r = loadConfig({});
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.config).toMatchObject({
      http: { port: 8080 },
      mqtt: { url: 'mqtt://127.0.0.1:1883', clientId: 'yizhan-server' },
      influx: {
        url: 'http://127.0.0.1:8086',
        api: 'v1',
        db: 'yizhan',
        rp: 'raw',
        retentionMs: 30 * 86_400_000,
        flushIntervalMs: 200,
        spoolMaxBytes: 1024 ** 3,
        spoolSyncIntervalMs: 10,
      },
      alerts: { webhookTimeoutMs: 5000 },
      lang: 'zh-CN',
      sseHeartbeatMs: 15_000,
      logLevel: 'info',
    });
  });

  it('reads values, ports and durations with units', () => {
    const r = loadConfig({
      YIZHAN_HTTP_PORT: '9000',
      YIZHAN_MQTT_PORT: '1999',
      YIZHAN_INFLUX_PORT: '8999',
      INFLUX_API: 'v2',
      INFLUX_TOKEN: 't',
      YIZHAN_INFLUX_FLUSH_INTERVAL: '250ms',
      YIZHAN_INFLUX_SPOOL_MAX: '256MB',
      YIZHAN_INFLUX_SPOOL_SYNC: '2ms',
      YIZHAN_ALERT_WEBHOOK_URL: 'http://hooks.local/x',
      YIZHAN_ALERT_WEBHOOK_TIMEOUT: '2s',
      YIZHAN_ALERT_SERIAL_LINK_DOWN_HOLD: '90s',
      YIZHAN_LANG: 'en',
      PATH: '/usr/bin',
    });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.config.http.port).toBe(9000);
    expect(r.config.mqtt.url).toBe('mqtt://127.0.0.1:1999');
    expect(r.config.influx).toMatchObject({
      url: 'http://127.0.0.1:8999',
      api: 'v2',
      token: 't',
      flushIntervalMs: 250,
      spoolMaxBytes: 256 * 1024 ** 2,
      spoolSyncIntervalMs: 2,
    });
    expect(r.config.alerts).toEqual({
      webhookUrl: 'http://hooks.local/x',
      webhookTimeoutMs: 2000,
      serialLinkDownHold: '90s',
    });
    expect(r.config.lang).toBe('en');
  });

  const bad: { name: string; env: Record<string, string>; error: RegExp }[] = [
    { name: 'port not a number', env: { YIZHAN_HTTP_PORT: 'abc' }, error: /^YIZHAN_HTTP_PORT: .*got "abc"/ },
    { name: 'port out of range', env: { YIZHAN_HTTP_PORT: '70000' }, error: /^YIZHAN_HTTP_PORT: .*65535/ },
    {
      name: 'duration without unit',
      env: { YIZHAN_SSE_HEARTBEAT: '15' },
      error: /^YIZHAN_SSE_HEARTBEAT: "15" is not a duration/,
    },
    {
      name: 'spool bound without unit',
      env: { YIZHAN_INFLUX_SPOOL_MAX: '1024' },
      error: /^YIZHAN_INFLUX_SPOOL_MAX: "1024" is not a size; write a number and a unit/,
    },
    {
      name: 'spool bound with an unknown unit',
      env: { YIZHAN_INFLUX_SPOOL_MAX: '2TB' },
      error: /^YIZHAN_INFLUX_SPOOL_MAX: "2TB" is not a size/,
    },
    {
      name: 'spool bound too small (unit slip)',
      env: { YIZHAN_INFLUX_SPOOL_MAX: '1KB' },
      error: /^YIZHAN_INFLUX_SPOOL_MAX: "1KB" is below the smallest accepted size, 1MB$/,
    },
    {
      name: 'serial_link_down hold without unit',
      env: { YIZHAN_ALERT_SERIAL_LINK_DOWN_HOLD: '60' },
      error: /^YIZHAN_ALERT_SERIAL_LINK_DOWN_HOLD: "60" is not a duration/,
    },
    { name: 'api not v1/v2', env: { INFLUX_API: 'v3' }, error: /^INFLUX_API: / },
    {
      name: 'webhook not http',
      env: { YIZHAN_ALERT_WEBHOOK_URL: 'ftp://x' },
      error: /^YIZHAN_ALERT_WEBHOOK_URL: /,
    },
    {
      name: 'typo with a suggestion',
      env: { YIZHAN_HTTP_PROT: '1' },
      error: /^YIZHAN_HTTP_PROT: unknown setting; did you mean YIZHAN_HTTP_PORT\?$/,
    },
    {
      name: 'unknown without a suggestion',
      env: { YIZHAN_COMPLETELY_DIFFERENT_THING: '1' },
      error: /^YIZHAN_COMPLETELY_DIFFERENT_THING: unknown setting$/,
    },
    {
      name: 'missing password file',
      env: { YIZHAN_MQTT_PASSWORD_FILE: '/nonexistent/pw' },
      error: /^YIZHAN_MQTT_PASSWORD_FILE: cannot read/,
    },
  ];
  it.each(bad)('refuses: $name', ({ env, error }) => {
    const r = loadConfig(env);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(
      r.errors.some((e) => error.test(e)),
      r.errors.join('\n'),
    ).toBe(true);
  });

  it('reports every problem at once', () => {
    const r = loadConfig({ YIZHAN_HTTP_PORT: 'x', LOG_LEVEL: 'loud', YIZHAN_LANGG: 'en' });
    expect(r.ok).toBe(false);
    if (!r.ok)
      expect(r.errors.map((e) => e.split(':')[0]).sort()).toEqual([
        'LOG_LEVEL',
        'YIZHAN_HTTP_PORT',
        'YIZHAN_LANGG',
      ]);
  });

  it('accepts variables of other components (broker, edge) without complaint', () => {
    expect(
      loadConfig({ YIZHAN_MQTT_HOST: '0.0.0.0', YIZHAN_BROKER_METRICS_PORT: '9101', YIZHAN_EDGE_X: '1' }).ok,
    ).toBe(true);
  });

  it.each([
    [undefined, false],
    ['127.0.0.1', ['127.0.0.1']],
    ['127.0.0.1, 10.0.0.0/8', ['127.0.0.1', '10.0.0.0/8']],
  ])('YIZHAN_TRUST_PROXY=%s trusts %j', (v, expected) => {
    const r = loadConfig(v === undefined ? {} : { YIZHAN_TRUST_PROXY: v });
    expect(r.ok && r.config.trustProxy).toEqual(expected);
  });

  it('refuses a YIZHAN_TRUST_PROXY that is no address list', () => {
    const r = loadConfig({ YIZHAN_TRUST_PROXY: 'everyone; rm -rf' });
    expect(r.ok ? [] : r.errors).toEqual([expect.stringMatching(/^YIZHAN_TRUST_PROXY: .*addresses or CIDRs/) as string]);
  });

  it('takes several broker URLs (a cluster) and refuses a wrong entry, naming it', () => {
    const two = loadConfig({ YIZHAN_MQTT_URL: 'mqtt://10.0.0.1:1883,mqtt://10.0.0.2:1883' });
    expect(two.ok && two.config.mqtt.url).toBe('mqtt://10.0.0.1:1883,mqtt://10.0.0.2:1883');
    const bad = loadConfig({ YIZHAN_MQTT_URL: 'mqtt://10.0.0.1:1883,mqtt//10.0.0.2:1883' });
    expect(bad.ok ? [] : bad.errors).toEqual([
      'YIZHAN_MQTT_URL: entry 2 "mqtt//10.0.0.2:1883" is not a URL (expected e.g. mqtt://127.0.0.1:1883)',
    ]);
  });

  it('reads the MQTT password from a file', () => {
    const f = join(mkdtempSync(join(tmpdir(), 'yz-cfg-')), 'pw');
    writeFileSync(f, 's3cret\n');
    const r = loadConfig({ YIZHAN_MQTT_USERNAME: 'server', YIZHAN_MQTT_PASSWORD_FILE: f });
    expect(r.ok && r.config.mqtt).toMatchObject({ username: 'server', password: 's3cret' });
  });

  it('describes every setting with its default, in Chinese unless asked for English', () => {
    expect(describeConfig('en')).toMatch(/YIZHAN_HTTP_PORT\s+8080\s+HTTP port/);
    expect(describeConfig()).toMatch(/YIZHAN_HTTP_PORT\s+8080\s+.*HTTP 端口/);
  });
});
