/** Broker settings from the environment: TLS, WebSocket, Redis and limits. */
import { describe, expect, it } from 'vitest';
import { envNames } from '@yizhan/common/settings';
import { BROKER_SETTINGS, readBrokerSettings, SettingsError } from '../../broker/src/settings.js';
import { loadConfig } from '@yizhan/server/config';

describe('broker settings', () => {
  it('defaults: plain TCP only, in memory, default limits', () => {
    const s = readBrokerSettings({});
    expect(s).toMatchObject({ mqttPort: 1883, tls: undefined, wsPort: undefined, redisUrl: undefined, limits: {} });
  });

  it('keeps the broker state in $YIZHAN_DATA_DIR/broker-state unless told otherwise; none with Redis', () => {
    expect(readBrokerSettings({ YIZHAN_DATA_DIR: '/var/lib/yizhan' }).stateDir).toBe('/var/lib/yizhan/broker-state');
    expect(readBrokerSettings({ YIZHAN_BROKER_STATE_DIR: '/srv/broker' }).stateDir).toBe('/srv/broker');
    expect(readBrokerSettings({ YIZHAN_BROKER_STATE_DIR: 'memory' }).stateDir).toBeUndefined();
    expect(readBrokerSettings({ YIZHAN_REDIS_URL: 'redis://10.0.0.5:6379/2' }).stateDir).toBeUndefined();
  });

  it('reads TLS, WebSocket, Redis and limits', () => {
    const s = readBrokerSettings({
      YIZHAN_MQTT_TLS_PORT: '8883',
      YIZHAN_MQTT_TLS_CERT: '/etc/yizhan/cert.pem',
      YIZHAN_MQTT_TLS_KEY: '/etc/yizhan/key.pem',
      YIZHAN_MQTT_WS_PORT: '8083',
      YIZHAN_REDIS_URL: 'redis://10.0.0.5:6379/2',
      YIZHAN_MQTT_MAX_PACKET: '64KB',
      YIZHAN_MQTT_CONNECT_TIMEOUT: '3s',
      YIZHAN_MQTT_STATION_RATE: '50',
      YIZHAN_MQTT_SESSION_QUEUE: '200000',
      YIZHAN_MQTT_TRUSTED_ADDRESSES: '10.0.0.7, 10.0.0.8',
    });
    expect(s.tls).toEqual({ port: 8883, certFile: '/etc/yizhan/cert.pem', keyFile: '/etc/yizhan/key.pem' });
    expect(s.wsPort).toBe(8083);
    expect(s.redisUrl).toBe('redis://10.0.0.5:6379/2');
    expect(s.limits).toEqual({
      maxPacketBytes: 64 * 1024,
      connectTimeoutMs: 3_000,
      publishRate: { station: { perSecond: 50, burst: 500 } },
      maxQueuedPerClient: 200_000,
      trustedAddresses: ['10.0.0.7', '10.0.0.8'],
    });
  });

  it.each([
    [{ YIZHAN_MQTT_TLS_PORT: '8883' }, 'YIZHAN_MQTT_TLS_CERT'],
    [{ YIZHAN_MQTT_TLS_PORT: '8883', YIZHAN_MQTT_TLS_CERT: 'c.pem' }, 'YIZHAN_MQTT_TLS_KEY'],
    [{ YIZHAN_MQTT_WS_PORT: 'ws' }, 'YIZHAN_MQTT_WS_PORT'],
    [{ YIZHAN_REDIS_URL: 'localhost:6379' }, 'YIZHAN_REDIS_URL'],
    [{ YIZHAN_MQTT_MAX_PACKET: '1GB' }, 'YIZHAN_MQTT_MAX_PACKET'],
    [{ YIZHAN_MQTT_CONNECT_TIMEOUT: 'soon' }, 'YIZHAN_MQTT_CONNECT_TIMEOUT'],
    [{ YIZHAN_MQTT_STATION_RATE: '0' }, 'YIZHAN_MQTT_STATION_RATE'],
    [{ YIZHAN_MQTT_SESSION_QUEUE: '1k' }, 'YIZHAN_MQTT_SESSION_QUEUE'],
  ])('%o is refused, naming %s', (env, variable) => {
    expect(() => readBrokerSettings(env)).toThrow(SettingsError);
    expect(() => readBrokerSettings(env)).toThrow(variable);
  });

  it('refuses unknown YIZHAN_* variables with a did-you-mean, and reports every problem at once', () => {
    const env = { YIZHAN_MQTT_TLS_PROT: '8883', YIZHAN_MQTT_TLS_CERT: '/etc/c.pem', YIZHAN_MQTT_TLS_KEY: '/etc/k.pem', YIZHAN_MQTT_PORT: 'x', YIZHAN_BROKER_METRIC_PORT: '9', YIZHAN_ZZZ: '1' };
    let error: SettingsError | undefined;
    try {
      readBrokerSettings(env);
    } catch (e) {
      error = e as SettingsError;
    }
    expect(error).toBeInstanceOf(SettingsError);
    expect(error?.problems).toEqual([
      'YIZHAN_BROKER_METRIC_PORT: unknown setting; did you mean YIZHAN_BROKER_METRICS_PORT?',
      'YIZHAN_MQTT_TLS_PROT: unknown setting; did you mean YIZHAN_MQTT_TLS_PORT?',
      'YIZHAN_ZZZ: unknown setting',
      'YIZHAN_MQTT_PORT: must be a port number 1..65535, got "x"',
      'YIZHAN_MQTT_TLS_PORT: must be set (e.g. 8883) when YIZHAN_MQTT_TLS_CERT or YIZHAN_MQTT_TLS_KEY is, got ""',
    ]);
  });

  it("accepts the names other components use in npm start's one environment", () => {
    expect(() =>
      readBrokerSettings({
        YIZHAN_HTTP_PORT: '8080', YIZHAN_MQTT_URL: 'mqtt://127.0.0.1:1883', YIZHAN_MQTT_USERNAME: 'yizhan-server', YIZHAN_INFLUX_PORT: '8086',
        YIZHAN_SIM_SPEED: '10', YIZHAN_SERIAL: 'mock', YIZHAN_SECRETS_DIR: '/tmp/s', YIZHAN_STATIONS_DIR: 'firmware-config/stations', YIZHAN_EDGE_STATE_DIR: '/tmp/e',
      }),
    ).not.toThrow();
  });

  it('the server accepts every broker setting (npm start gives both one environment)', () => {
    const env = Object.fromEntries(envNames(BROKER_SETTINGS).map((name) => [name, 'x']));
    const r = loadConfig(env);
    const unknown = r.ok ? [] : r.errors.filter((e) => e.includes('unknown setting'));
    expect(unknown).toEqual([]);
  });
});
