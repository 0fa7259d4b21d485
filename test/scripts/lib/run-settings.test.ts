/** npm start's settings: defaults, every problem at once, and the names the other processes use accepted. */
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_STATIONS_DIR } from '@yizhan/station-config/load';
import { readRunSettings, SettingsError } from '../../../scripts/lib/run-settings.js';

describe('readRunSettings', () => {
  it('defaults', () => {
    expect(readRunSettings({})).toEqual({
      httpPort: 8080,
      mqttPort: 1883,
      brokerMetricsPort: 9101,
      influxPort: 8086,
      influxUrl: undefined,
      mqttUrl: 'mqtt://127.0.0.1:1883',
      dataDir: resolve('.data'),
      secretsDir: resolve('.data/secrets'),
      stationsDir: DEFAULT_STATIONS_DIR,
      logLevel: 'info',
      serial: 'mock',
      simSpeed: 1,
      simSeed: 1,
      demoHistoryWeeks: 6,
    });
  });

  it.each([
    [
      { YIZHAN_MQTT_PORT: '1999', YIZHAN_DATA_DIR: '/srv/yz' },
      { mqttUrl: 'mqtt://127.0.0.1:1999', secretsDir: '/srv/yz/secrets' },
    ],
    [
      { YIZHAN_SERIAL: 'pty', YIZHAN_SIM_SPEED: '60', INFLUX_URL: 'http://db:8086' },
      { serial: 'pty', simSpeed: 60, influxUrl: 'http://db:8086' },
    ],
  ])('reads %o', (env, expected) => {
    expect(readRunSettings(env)).toMatchObject(expected);
  });

  it('lists every problem at once, one per line', () => {
    const env = {
      YIZHAN_SERIAL: 'usb',
      YIZHAN_SIM_SPEED: '0',
      INFLUX_URL: 'db:8086',
      YIZHAN_HTTP_PROT: '80',
    };
    expect(() => readRunSettings(env)).toThrow(SettingsError);
    let message = '';
    try {
      readRunSettings(env);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message.split('\n')).toEqual([
      'YIZHAN_HTTP_PROT: unknown setting; did you mean YIZHAN_HTTP_PORT?',
      'INFLUX_URL: must be a URL starting with http:// or https://, got "db:8086"',
      'YIZHAN_SERIAL: must be one of mock, pty; got "usb"',
      'YIZHAN_SIM_SPEED: must be a number 0.1..10000, got "0"',
    ]);
  });

  it('accepts the settings of the server, the broker and the agents (npm start passes one environment)', () => {
    expect(() =>
      readRunSettings({
        YIZHAN_MQTT_TLS_PORT: '8883',
        YIZHAN_API_TOKEN_FILE: '/x',
        YIZHAN_EDGE_STATE_DIR: '/e',
        YIZHAN_INFLUX_BATCH_SIZE: '5',
      }),
    ).not.toThrow();
  });
});
