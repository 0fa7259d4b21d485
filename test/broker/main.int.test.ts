/** broker/src/main.ts as its own process: start-up refusals, serving, graceful shutdown. */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { provisionAccounts } from '@yizhan/broker/credentials';
import { freePort, waitForPort } from '../../scripts/lib/ports.js';
import { connect, inbox, tempDir } from './helpers.js';
import { ROOT, runTs } from '../helpers/processes.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => ({ dir, cleanup } = await tempDir()));
afterAll(async () => cleanup());

const STACK_LINE = /^\s+at /m;

describe('broker process: refusing to start', () => {
  it.each([
    [
      'missing credentials file',
      'none',
      /凭据文件 .*credentials\.json 不存在[\s\S]*credentials file .*credentials\.json does not exist[\s\S]*station add st-001/,
    ],
    ['broken credentials file', '{"version": 1, "accounts": [', /cannot be used: not valid JSON at line 1/],
  ])('%s: exit code 1 and a plain message, no stack trace', async (_name, content, message) => {
    const dataDir = join(dir, _name.replace(/ /g, '-'));
    if (content !== 'none') {
      await provisionAccounts(join(dataDir, 'credentials.json'), []); // creates the folder
      await writeFile(join(dataDir, 'credentials.json'), content);
    }
    const r = await runTs('broker/src/main.ts', [], {
      env: {
        YIZHAN_DATA_DIR: dataDir,
        YIZHAN_MQTT_PORT: String(await freePort()),
        YIZHAN_BROKER_METRICS_PORT: String(await freePort()),
      },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^驿站 MQTT 服务未启动/);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(STACK_LINE);
  });

  it('--help prints every setting with its default and exits 0 without starting', async () => {
    const mqttPort = await freePort();
    const r = await runTs('broker/src/main.ts', ['--help'], {
      env: {
        YIZHAN_LANG: 'en',
        YIZHAN_MQTT_PORT: String(mqttPort),
        YIZHAN_DATA_DIR: join(dir, 'nothing-here'),
      },
      timeoutMs: 10_000,
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^yizhan MQTT broker\. Settings/);
    expect(r.stdout).toMatch(/YIZHAN_MQTT_TLS_PORT\s+\(off\)\s+MQTT over TLS/);
    expect(r.stdout).toMatch(/YIZHAN_MQTT_CONNECT_TIMEOUT\s+5s\s/);
    expect(r.stderr).toBe(''); // no "credentials file does not exist": nothing was started
    const zh = await runTs('broker/src/main.ts', ['-h'], {
      env: { YIZHAN_LANG: 'zh-CN' },
      timeoutMs: 10_000,
    });
    expect(zh.code).toBe(0);
    expect(zh.stdout).toMatch(/YIZHAN_MQTT_PORT\s+1883\s+MQTT TCP 端口/);
  });

  it('a typo in a TLS variable refuses to start (it started without TLS), with a did-you-mean', async () => {
    const r = await runTs('broker/src/main.ts', [], {
      env: {
        YIZHAN_LANG: 'en',
        YIZHAN_DATA_DIR: dir,
        YIZHAN_MQTT_TLS_PROT: '8883',
        YIZHAN_MQTT_TLS_CERT: 'c.pem',
        YIZHAN_MQTT_TLS_KEY: 'k.pem',
        YIZHAN_MQTT_PORT: String(await freePort()),
      },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('YIZHAN_MQTT_TLS_PROT: unknown setting; did you mean YIZHAN_MQTT_TLS_PORT?');
    expect(r.stderr).not.toMatch(STACK_LINE);
  });

  it('a bad setting names the variable', async () => {
    const r = await runTs('broker/src/main.ts', [], {
      env: { YIZHAN_LANG: 'en', YIZHAN_MQTT_PORT: 'eighteen83', YIZHAN_DATA_DIR: dir },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('YIZHAN_MQTT_PORT: must be a port number 1..65535, got "eighteen83"');
    expect(r.stderr).not.toMatch(STACK_LINE);
  });
});

describe('broker process: running', () => {
  let child: ChildProcess | undefined;
  afterAll(() => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });

  it('serves MQTT and /healthz, refuses a second instance on the same port, and stops cleanly on SIGTERM', async () => {
    const dataDir = join(dir, 'running');
    const secrets = await provisionAccounts(join(dataDir, 'credentials.json'), [
      { username: 'st-001', role: 'station' },
      { username: 'server', role: 'server' },
    ]);
    const mqttPort = await freePort();
    const metricsPort = await freePort();
    const env = {
      ...process.env,
      YIZHAN_DATA_DIR: dataDir,
      YIZHAN_MQTT_PORT: String(mqttPort),
      YIZHAN_BROKER_METRICS_PORT: String(metricsPort),
      LOG_LEVEL: 'info',
    };
    const proc = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'broker/src/main.ts')], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = proc;
    let out = '';
    proc.stdout?.on('data', (d: Buffer) => (out += d.toString('utf8')));
    proc.stderr?.on('data', (d: Buffer) => (out += d.toString('utf8')));
    const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
    await waitForPort(mqttPort);

    const health = await fetch(`http://127.0.0.1:${metricsPort}/healthz`);
    expect(await health.json()).toMatchObject({ status: 'ok', accounts: { station: 1, server: 1 } });

    const url = `mqtt://127.0.0.1:${mqttPort}`;
    const server = await connect(url, 'server', secrets.get('server') ?? '', { clientId: 'server-main' });
    const box = inbox(server);
    await server.subscribeAsync('yizhan/v1/stations/+/telemetry', { qos: 1 });
    const st1 = await connect(url, 'st-001', secrets.get('st-001') ?? '');
    await st1.publishAsync('yizhan/v1/stations/st-001/telemetry', '{"n":1}', { qos: 1 });
    expect((await box.next('yizhan/v1/stations/st-001/telemetry')).payload).toBe('{"n":1}');

    // the same data folder: its broker state folder is held by the running broker
    const second = await runTs('broker/src/main.ts', [], {
      env: { ...env, YIZHAN_LANG: 'en', YIZHAN_BROKER_METRICS_PORT: String(await freePort()) },
    });
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`is in use by process ${proc.pid}`);
    expect(second.stderr).not.toMatch(STACK_LINE);
    const third = await runTs('broker/src/main.ts', [], {
      env: {
        ...env,
        YIZHAN_LANG: 'en',
        YIZHAN_BROKER_METRICS_PORT: String(await freePort()),
        YIZHAN_BROKER_STATE_DIR: join(dataDir, 'other-state'),
      },
    });
    expect(third.code).toBe(1);
    expect(third.stderr).toContain(`port ${mqttPort} is already in use`);
    expect(third.stderr).not.toMatch(STACK_LINE);

    const serverClosed = new Promise<void>((resolve) => server.once('close', () => resolve()));
    proc.kill('SIGTERM');
    expect(await exited).toBe(0);
    await serverClosed; // the broker closed its clients on the way out
    expect(out).toContain('"msg":"shutting down"');
    expect(out).toContain('"msg":"broker closed"');
    await Promise.all([server.endAsync(true), st1.endAsync(true)]);
  });
});
