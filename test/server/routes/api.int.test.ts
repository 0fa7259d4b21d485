/**
 * The write API token through the real entry point (server/src/main.ts, settings from the
 * environment as docs/edge.md documents them): YIZHAN_API_TOKEN_FILE enables PUT …/config, a wrong
 * token is refused, a token that is too short or given twice stops the start with a message that
 * names the setting, and the token never appears in the server's output.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { freePort } from '../../../scripts/lib/ports.js';
import { Cleanups } from '../../helpers/cleanups.js';
import {
  serverMainEnv,
  serverMainReady,
  spawnServerMain,
  startTestInflux,
  type ServerProcess,
  type TestInflux,
} from '../helpers.js';
import { type PlainBroker, startPlainBroker } from '../../helpers/mqtt-broker.js';
import { waitFor } from '../../helpers/wait.js';
import { stationFixture } from '../../helpers/station.js';

const TOKEN = 'tok-7d1e5c0b9a4f4e3d8c2b';
const cleanups = new Cleanups();
let dir: string;
let broker: PlainBroker;
let influx: TestInflux;

function runMain(env: Record<string, string>): ServerProcess {
  const main = spawnServerMain(env);
  cleanups.add('server process', () => {
    if (main.running) main.kill('SIGKILL');
  });
  return main;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'yz-api-token-'));
  cleanups.add('temp folder', () => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'st-001.yaml'), stringify(stationFixture('st-001')));
  writeFileSync(join(dir, 'token'), `${TOKEN}\n`, { mode: 0o600 });
  broker = await startPlainBroker();
  cleanups.add('broker', () => broker.close());
  influx = await startTestInflux();
  cleanups.add('influxd', () => influx.cleanup());
}, 60_000);
afterAll(() => cleanups.run());

describe('YIZHAN_API_TOKEN_FILE through server/src/main.ts', () => {
  it('enables the config write API: the right token is accepted, a wrong one refused; the token is never printed', async () => {
    const port = await freePort();
    const main = runMain({
      ...serverMainEnv({
        port,
        mqttUrl: broker.url,
        clientId: 'yizhan-server-token',
        influxUrl: influx.url,
        stationsDir: dir,
      }),
      YIZHAN_DATA_DIR: join(dir, 'data'),
      YIZHAN_API_TOKEN_FILE: join(dir, 'token'),
      LOG_LEVEL: 'debug',
    });
    const put = (auth: string) =>
      fetch(`http://127.0.0.1:${port}/api/v1/stations/st-001/config`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', authorization: auth },
        body: JSON.stringify({ readingIntervalS: 5 }),
      });
    await serverMainReady(port);
    expect((await put('Bearer not-the-token')).status).toBe(401);
    const r = await waitFor(
      'PUT accepted',
      async () => {
        const x = await put(`Bearer ${TOKEN}`);
        return x.status === 503 ? undefined : x;
      },
      15_000,
      200,
    );
    expect(r.status).toBe(202);
    expect(((await r.json()) as { desired: { config: unknown } }).desired.config).toEqual({
      readingIntervalS: 5,
    });
    main.kill('SIGTERM');
    expect((await main.done).code).toBe(0);
    expect(main.output()).not.toContain(TOKEN);
  }, 60_000);

  it.each([
    {
      what: 'a token shorter than 16 characters',
      env: { YIZHAN_API_TOKEN: 'short-secret' },
      message: /YIZHAN_API_TOKEN: .*16.*\(value not shown\)/,
      secret: 'short-secret',
    },
    {
      what: 'both the token and its file',
      env: { YIZHAN_API_TOKEN: TOKEN, YIZHAN_API_TOKEN_FILE: '<file>' },
      message: /YIZHAN_API_TOKEN_FILE: set either it or YIZHAN_API_TOKEN, not both/,
      secret: TOKEN,
    },
  ])(
    'refuses to start with $what, naming the setting and not showing the value',
    async ({ env, message, secret }) => {
      const main = runMain({
        YIZHAN_STATIONS_DIR: dir,
        ...Object.fromEntries(
          Object.entries(env).map(([k, v]) => [k, v === '<file>' ? join(dir, 'token') : v]),
        ),
      });
      expect((await main.done).code).toBe(2);
      expect(main.output()).toMatch(message);
      expect(main.output()).not.toContain(secret);
    },
    30_000,
  );
});
