/** The edge agent's options: flags, the environment the systemd unit gives it, every problem at once. */
import { describe, expect, it } from 'vitest';
import { parseFlags, parseSettings } from '@yizhan/common/settings';
import { EDGE_SETTINGS } from '@yizhan/edge/settings';

function read(argv: string[], env: Record<string, string> = {}) {
  const f = parseFlags(EDGE_SETTINGS, argv);
  const r = parseSettings(EDGE_SETTINGS, { env, flags: f.flags });
  return { values: r.values, problems: [...f.problems, ...r.problems] };
}

describe('edge agent options', () => {
  it("defaults are the agent's: 64MB spool, interval fsync, 30s health", () => {
    expect(read([]).values).toMatchObject({
      spoolMax: 64 * 1024 ** 2,
      spoolFsync: 'interval',
      healthInterval: 30_000,
      dataDir: '.data',
      simulate: false,
      speed: 1,
      seed: 1,
      logLevel: 'info',
    });
  });

  it('reads the flags of the systemd unit', () => {
    const argv = [
      '--station',
      'st-001',
      '--mqtt',
      'mqtts://broker:8883',
      '--password-file',
      '/etc/yizhan/mqtt.secret',
      '--serial-path',
      '/dev/yizhan-controller',
      '--state-dir',
      '/var/lib/yizhan/edge',
      '--spool-max',
      '16MB',
      '--health-interval',
      '1min',
      '--spool-fsync',
      'always',
    ];
    const { values, problems } = read(argv);
    expect(problems).toEqual([]);
    expect(values).toMatchObject({
      station: 'st-001',
      mqttUrl: 'mqtts://broker:8883',
      passwordFile: '/etc/yizhan/mqtt.secret',
      serialPath: '/dev/yizhan-controller',
      stateDir: '/var/lib/yizhan/edge',
      spoolMax: 16 * 1024 ** 2,
      healthInterval: 60_000,
      spoolFsync: 'always',
    });
  });

  it("accepts the unit's environment file (edge/deploy/edge.env.example) and falls back to it", () => {
    const env = {
      YIZHAN_STATION: 'st-001',
      YIZHAN_MQTT_URL: 'mqtts://broker.example.cn:8883',
      YIZHAN_SPOOL_MAX: '32MB',
      LOG_LEVEL: 'warn',
      YIZHAN_EDGE_STATE_DIR: 'none',
    };
    const { values, problems } = read([], env);
    expect(problems).toEqual([]);
    expect(values).toMatchObject({
      station: 'st-001',
      mqttUrl: 'mqtts://broker.example.cn:8883',
      spoolMax: 32 * 1024 ** 2,
      logLevel: 'warn',
      stateDir: 'none',
    });
  });

  it('lists every problem at once, each naming its flag or variable', () => {
    const { problems } = read(
      ['--spool-maxx', '1GB', '--speed', '0', '--spool-fsync', 'sometimes', '--health-interval', '30'],
      { YIZHAN_MQTT_URL: 'broker:1883' },
    );
    expect(problems).toEqual([
      '--spool-maxx: unknown flag; did you mean --spool-max?',
      'YIZHAN_MQTT_URL: "broker:1883": protocol "broker" is not one of mqtt, mqtts, ws, wss, tcp, tls',
      '--spool-fsync: must be one of interval, always, never; got "sometimes"',
      '--health-interval: "30" is not a duration; write a number and a unit: ms, s, min, h or d (e.g. "30s", "5min")',
      '--speed: must be a number 0.001..1000000, got "0"',
    ]);
  });
});
