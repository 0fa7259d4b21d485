/** The broker against Debian's mosquitto clients (another MQTT implementation than mqtt.js). */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { stationTopic } from '@yizhan/protocol';
import { metric, startTestBroker, type TestBroker } from './helpers.js';
import { run } from '../helpers/processes.js';
import { mosquittoAuth } from './raw.js';

let tb: TestBroker;
const children: ChildProcess[] = [];
beforeAll(async () => {
  tb = await startTestBroker([
    { username: 'st-001', role: 'station' },
    { username: 'st-002', role: 'station' },
    { username: 'server', role: 'server' },
  ]);
});
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});
afterAll(async () => tb.stop());

const auth = (user: string, password = tb.secret(user), clientId = user): string[] =>
  mosquittoAuth(tb.broker.port, user, password, { clientId, v311: true });

/** mosquitto_sub in the background, `-v -d`: message lines are "topic payload". */
function sub(
  user: string,
  filter: string,
  extra: string[] = [],
  clientId = user,
): {
  child: ChildProcess;
  subscribed: Promise<void>;
  message(topic: string, timeoutMs?: number): Promise<string>;
} {
  // stdbuf: mosquitto_sub's stdout is block-buffered on a pipe; we need each line as it comes
  const child = spawn(
    'stdbuf',
    [
      '-oL',
      'mosquitto_sub',
      ...auth(user, tb.secret(user), clientId),
      '-t',
      filter,
      '-q',
      '1',
      '-v',
      '-d',
      ...extra,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  children.push(child);
  const lines: string[] = [];
  const listeners: (() => void)[] = [];
  if (!child.stdout) throw new Error('no stdout');
  createInterface({ input: child.stdout }).on('line', (l) => {
    lines.push(l);
    for (const f of listeners) f();
  });
  const waitFor = (pred: (l: string) => boolean, what: string, timeoutMs: number): Promise<string> =>
    new Promise((resolve, reject) => {
      const t = setTimeout(
        () =>
          reject(new Error(`mosquitto_sub: no ${what} within ${timeoutMs} ms; got:\n${lines.join('\n')}`)),
        timeoutMs,
      );
      const check = (): void => {
        const i = lines.findIndex(pred);
        if (i >= 0) {
          clearTimeout(t);
          listeners.splice(listeners.indexOf(check), 1);
          resolve(lines.splice(i, 1)[0] ?? '');
        }
      };
      listeners.push(check);
      check();
    });
  return {
    child,
    subscribed: waitFor((l) => l.includes('received SUBACK'), 'SUBACK', 5_000).then(() => undefined),
    message: (topic, timeoutMs = 5_000) =>
      waitFor((l) => l.startsWith(topic + ' '), `message on ${topic}`, timeoutMs).then((l) =>
        l.slice(topic.length + 1),
      ),
  };
}

describe('mosquitto clients', () => {
  it('a station publishes with mosquitto_pub and the server receives it with mosquitto_sub', async () => {
    const s = sub('server', 'yizhan/v1/stations/+/telemetry');
    await s.subscribed;
    const pub = await run('mosquitto_pub', [
      ...auth('st-001'),
      '-t',
      stationTopic('st-001', 'telemetry'),
      '-m',
      '{"hello":1}',
      '-q',
      '1',
    ]);
    expect(pub.code).toBe(0);
    expect(await s.message(stationTopic('st-001', 'telemetry'))).toBe('{"hello":1}');
  });

  it.each([
    ['a wrong password', 'st-001', 'wrong-secret', 'st-001', /bad user name or password/],
    ['an unknown user', 'st-404', 'some-secret', 'st-404', /bad user name or password/],
    ["a station claiming another station's client id", 'st-001', '<st-001>', 'st-002', /not authori[sz]ed/],
  ])('refuses %s', async (_name, user, password, clientId, message) => {
    const pw = password.startsWith('<') ? tb.secret(password.slice(1, -1)) : password;
    const r = await run('mosquitto_pub', [
      ...auth(user, pw, clientId),
      '-t',
      stationTopic('st-001', 'status'),
      '-m',
      'x',
    ]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(message);
  });

  it("a QoS 1 publish into another station's subtree loses the connection and reaches nobody", async () => {
    const s = sub('server', 'yizhan/v1/stations/#');
    await s.subscribed;
    const before = await metric(tb.broker.metrics, 'yizhan_broker_acl_denials_total', {
      action: 'publish',
      reason: 'other_station',
    });
    const r = await run('mosquitto_pub', [
      ...auth('st-001'),
      '-t',
      stationTopic('st-002', 'telemetry'),
      '-m',
      'forged',
      '-q',
      '1',
    ]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/connection was lost/i);
    expect(
      await metric(tb.broker.metrics, 'yizhan_broker_acl_denials_total', {
        action: 'publish',
        reason: 'other_station',
      }),
    ).toBe(before + 1);
    // a later legitimate message arrives; the forged one never did
    await run('mosquitto_pub', [
      ...auth('st-002'),
      '-t',
      stationTopic('st-002', 'health'),
      '-m',
      'real',
      '-q',
      '1',
    ]);
    expect(await s.message(stationTopic('st-002', 'health'))).toBe('real');
    await expect(s.message(stationTopic('st-002', 'telemetry'), 200)).rejects.toThrow(/no message/);
  });

  it('subscribing to # is refused with SUBACK 0x80', async () => {
    const r = await run('mosquitto_sub', [...auth('st-001'), '-t', '#', '-C', '1', '-W', '3']);
    expect(r.stderr).toContain('All subscription requests were denied');
  });

  it('a retained status reaches a late mosquitto_sub, and the will of a killed mosquitto_sub is published', async () => {
    const statusTopic = stationTopic('st-002', 'status');
    const online = '{"v":1,"stationId":"st-002","state":"online"}';
    const offline = '{"v":1,"stationId":"st-002","state":"offline","reason":"will"}';
    expect(
      (await run('mosquitto_pub', [...auth('st-002'), '-t', statusTopic, '-m', online, '-q', '1', '-r']))
        .code,
    ).toBe(0);
    const late = sub('server', statusTopic);
    expect(await late.message(statusTopic)).toBe(online);

    // st-002 holds a connection with a will, then dies without DISCONNECT
    const station = sub('st-002', stationTopic('st-002', 'cmd'), [
      '--will-topic',
      statusTopic,
      '--will-payload',
      offline,
      '--will-qos',
      '1',
      '--will-retain',
    ]);
    await station.subscribed;
    station.child.kill('SIGKILL');
    expect(await late.message(statusTopic)).toBe(offline);
    const after = sub('server', statusTopic, [], 'server-2');
    expect(await after.message(statusTopic)).toBe(offline); // retained
  });
});
