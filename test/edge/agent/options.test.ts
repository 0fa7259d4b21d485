import { describe, expect, it } from 'vitest';
import { resolveOptions, AgentConfigError } from '../../../edge/src/agent/options.js';
import { stationFixture } from '../../helpers/station.js';

describe('agent options', () => {
  it.each([
    [{}, /no MQTT password; give --password-file/],
    [{ passwordFile: '/nonexistent/secret' }, /cannot read the MQTT password file \/nonexistent\/secret/],
    [{ password: 'x', healthIntervalMs: 0 }, /healthIntervalMs must be a positive number/],
  ])('refuses %o', (o, re) => {
    expect(() => resolveOptions({ station: stationFixture(), mqttUrl: 'mqtt://x', ...o })).toThrow(re);
    expect(() => resolveOptions({ station: stationFixture(), mqttUrl: 'mqtt://x', ...o })).toThrow(
      AgentConfigError,
    );
  });
  it('takes the frame timeout and serial path from the station config', () => {
    const r = resolveOptions({
      station: stationFixture('st-001', { frameTimeout: '2min', serialPath: '/dev/ttyYZ3' }),
      mqttUrl: 'mqtt://x',
      password: 'p',
    });
    expect(r).toMatchObject({ frameTimeoutMs: 120_000, serialPath: '/dev/ttyYZ3', healthIntervalMs: 30_000 });
  });
});
