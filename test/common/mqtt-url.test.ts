import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { BrokerRotation, brokerAddress, brokerAddresses, shownBrokers } from '@yizhan/common/mqtt-url';

describe('brokerAddress', () => {
  it.each([
    ['mqtt://127.0.0.1:1883', { protocol: 'mqtt', host: '127.0.0.1', port: 1883 }],
    ['mqtts://broker.example.cn', { protocol: 'mqtts', host: 'broker.example.cn' }],
    ['tcp://localhost:1884', { protocol: 'tcp', host: 'localhost', port: 1884 }],
    ['tls://h:8883', { protocol: 'mqtts', host: 'h', port: 8883 }],
    ['mqtt://[::1]:1883', { protocol: 'mqtt', host: '::1', port: 1883 }],
    ['ws://10.0.0.2:8080/mqtt', { protocol: 'ws', host: '10.0.0.2', port: 8080, path: '/mqtt' }],
    ['wss://h.example.cn', { protocol: 'wss', host: 'h.example.cn', path: '/' }],
    [
      'mqtt://user:p%40ss@h:1883',
      { protocol: 'mqtt', host: 'h', port: 1883, username: 'user', password: 'p@ss' },
    ],
  ])('%s', (url, want) => {
    expect(brokerAddress(url)).toEqual(want);
  });

  it.each([
    ['127.0.0.1:1883', /is not a URL|protocol "127.0.0.1"/],
    ['http://h:80', /protocol "http" is not one of mqtt, mqtts, ws, wss, tcp, tls/],
    ['not a url', /"not a url" is not a URL/],
  ])('refuses %s, naming it', (url, message) => {
    expect(() => brokerAddress(url)).toThrow(message);
  });
});

describe('brokerAddresses: a cluster\'s nodes, comma-separated', () => {
  it('reads each entry in order', () => {
    expect(brokerAddresses('mqtt://a:1883, mqtts://b:8883')).toEqual([
      { protocol: 'mqtt', host: 'a', port: 1883 },
      { protocol: 'mqtts', host: 'b', port: 8883 },
    ]);
  });

  it.each([
    ['mqtt://a:1883,mqtt//b:1883', 'entry 2 "mqtt//b:1883" is not a URL (expected e.g. mqtt://127.0.0.1:1883)'],
    ['mqtt://a:1883,,mqtt://c', 'entry 2 is empty (expected e.g. mqtt://a:1883,mqtt://b:1883)'],
    ['http://a,mqtt://b', 'entry 1 "http://a": protocol "http" is not one of mqtt, mqtts, ws, wss, tcp, tls'],
    ['mqtt://a,http://u:secret@b', 'entry 2 "http://***@b": protocol "http" is not one of mqtt, mqtts, ws, wss, tcp, tls'],
  ])('refuses %s, naming the entry (never its password)', (list, message) => {
    expect(() => brokerAddresses(list)).toThrow(message);
  });

  it('shows the list without credentials', () => {
    expect(shownBrokers('mqtt://u:secret@a:1883,ws://b:8080/mqtt')).toBe('mqtt://a:1883,ws://b:8080/mqtt');
  });
});

describe('BrokerRotation', () => {
  /** What mqtt.js does with the options: the transports write defaults back into them. */
  const client = (first: object) => {
    const options: Record<string, unknown> = { ...first };
    return Object.assign(new EventEmitter(), { options });
  };

  it('moves the client to the next entry on each reconnect, exactly that entry\'s address', () => {
    const r = new BrokerRotation('mqtts://a.example:8883,ws://10.0.0.2:8080/mqtt,mqtt://10.0.0.3');
    const c = client({ ...r.first(), username: 'st-001' });
    r.install(c);
    expect(r.current).toBe('mqtts://a.example:8883');
    c.options.servername = 'a.example'; // set by mqtt.js' TLS transport on the first connect
    c.emit('reconnect');
    expect(r.current).toBe('ws://10.0.0.2:8080/mqtt');
    expect(c.options).toEqual({ protocol: 'ws', host: '10.0.0.2', hostname: '10.0.0.2', port: 8080, path: '/mqtt', username: 'st-001' });
    c.emit('reconnect');
    expect(c.options).toEqual({ protocol: 'mqtt', host: '10.0.0.3', hostname: '10.0.0.3', username: 'st-001' });
    c.emit('reconnect');
    expect(r.current).toBe('mqtts://a.example:8883');
    expect(c.options).toMatchObject({ protocol: 'mqtts', host: 'a.example', port: 8883 });
  });

  it('leaves a single URL alone', () => {
    const r = new BrokerRotation('mqtt://a:1883');
    const c = client(r.first());
    r.install(c);
    c.emit('reconnect');
    expect(c.options).toEqual({ protocol: 'mqtt', host: 'a', port: 1883 });
  });
});
