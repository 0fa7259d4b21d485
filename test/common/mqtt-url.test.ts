import { describe, expect, it } from 'vitest';
import { brokerAddress } from '@yizhan/common/mqtt-url';

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
