/**
 * Modbus RTU meters next to the controller: a third-party slave (pymodbus, Debian python3-pymodbus)
 * on a socat PTY, the agent polling it, the server writing InfluxDB. Readings arrive with the
 * configured scaling; a slave that does not answer is counted in health.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent } from '@yizhan/edge/agent';
import { agentOnSimulator } from './sim-helpers.js';
import { parseModbusConfig, ModbusConfigError } from '../../edge/src/modbus/poller.js';
import type { StationConfig } from '@yizhan/station-config/schema';
import { startPtyPair } from '../../scripts/lib/socat.js';
import { Cleanups } from '../helpers/cleanups.js';
import { captureLogger } from '../e2e/pipeline-helpers.js';
import {
  startServer,
  startTestBroker,
  startTestInflux,
  stationFixture,
  waitFor,
  type TestInflux,
} from '../server/helpers.js';

/** Debian's interpreter: python3-pymodbus is installed for it (a pyenv python3 on PATH would lack it). */
const PYTHON = '/usr/bin/python3';
const station: StationConfig = stationFixture('st-051');
station.sensors.push(
  { channel: 200, id: 'meter-power', kind: 'socket_power' },
  { channel: 201, id: 'cabinet-temp', kind: 'ambient_temp' },
  { channel: 202, id: 'outdoor-temp', kind: 'ambient_temp' },
  { channel: 203, id: 'meter-power-f', kind: 'socket_power' },
);
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  await exited;
}
const modbusYaml = (path: string) => `
port: { path: ${path}, baudRate: 9600 }
responseTimeout: 300ms
devices:
  - name: meter
    address: 7
    pollInterval: 300ms
    registers:
      - { sensor: meter-power, address: 10, format: u32, scale: 0.01 }
      - { sensor: meter-power-f, address: 20, format: f32 }
      - { sensor: cabinet-temp, table: input, address: 0, scale: 0.1 }
      - { sensor: outdoor-temp, table: input, address: 1, format: i16, scale: 0.1, offset: 0.5 }
  - name: absent
    address: 9
    pollInterval: 1s
    registers:
      - { sensor: cabinet-temp, address: 0 }
`;

describe('Modbus file', () => {
  it.each([
    { text: 'port: {path: /dev/x}\ndevices: []', err: /devices/ },
    {
      text: 'port: {path: /dev/x}\ndevices: [{name: m, address: 1, registers: [{sensor: nope, address: 0}]}]',
      err: /st-051 has no sensor "nope"/,
    },
    {
      text: 'port: {path: /dev/x}\ndevices: [{name: m, address: 300, registers: [{sensor: door, address: 0}]}]',
      err: /address/,
    },
    { text: 'port: [', err: /not YAML/ },
  ])('refuses $err with the place named', ({ text, err }) => {
    expect(() => parseModbusConfig(text, station, 'm.yaml')).toThrow(ModbusConfigError);
    expect(() => parseModbusConfig(text, station, 'm.yaml')).toThrow(err);
  });
  it('fills defaults', () => {
    const c = parseModbusConfig(
      'port: {path: /dev/x}\ndevices: [{name: m, address: 1, registers: [{sensor: door, address: 0}]}]',
      station,
    );
    expect(c.port).toEqual({ path: '/dev/x', baudRate: 9600, parity: 'none', stopBits: 1 });
    expect(c.devices[0]?.registers[0]).toEqual({
      sensor: 'door',
      address: 0,
      table: 'holding',
      format: 'u16',
      scale: 1,
      offset: 0,
    });
  });
});

describe('Modbus meter end to end', () => {
  const cleanups = new Cleanups();
  const agentLog = captureLogger('info');
  let influx: TestInflux;
  let agent: Agent;
  let devicePath: string;
  let slave: ChildProcess | undefined;

  /** Start the slave; it must say "ready" (a missing Python module makes it exit with a traceback). */
  const startSlave = async (): Promise<void> => {
    const child = spawn(PYTHON, ['test/edge/fixtures/modbus-slave.py', devicePath], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    slave = child;
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
    await new Promise<void>((resolve, reject) => {
      child.once('error', (e) =>
        reject(new Error(`cannot start ${PYTHON} (run: bash scripts/setup-os.sh test): ${e.message}`)),
      );
      child.once('exit', (c) =>
        reject(new Error(`pymodbus slave exited (${c}); run: bash scripts/setup-os.sh test\n${stderr}`)),
      );
      createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (l) => {
        if (l.includes('ready')) resolve();
      });
    });
  };

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'yz-modbus-'));
    cleanups.add('temp folder', () => rmSync(dir, { recursive: true, force: true }));
    const pty = await startPtyPair(dir, 'm');
    cleanups.add('socat', () => pty.stop());
    devicePath = pty.devicePath;
    cleanups.add('pymodbus slave', () => slave && stopChild(slave));
    await startSlave();
    influx = await startTestInflux();
    cleanups.add('influxd', () => influx.cleanup());
    const broker = await startTestBroker();
    cleanups.add('broker', () => broker.close());
    const server = await startServer({ stations: [station], mqttUrl: broker.url, influxUrl: influx.url });
    cleanups.add('server', () => server.close());
    ({ agent } = await agentOnSimulator(station, broker.url, cleanups, {
      sim: { speed: 1, seed: 1 },
      agent: {
        modbus: parseModbusConfig(modbusYaml(pty.agentPath), station),
        logger: agentLog.logger,
        healthIntervalMs: 60_000,
      },
    }));
  }, 60_000);

  afterAll(() => cleanups.run());

  const last = async (measurement: string, sensor: string): Promise<number | undefined> => {
    const q = `SELECT last("value") FROM "${measurement}" WHERE "station"='${station.id}' AND "sensor"='${sensor}'`;
    const body = (await (await fetch(`${influx.url}/query?db=yizhan&q=${encodeURIComponent(q)}`)).json()) as {
      results: { series?: { values: [string, number][] }[] }[];
    };
    return body.results[0]?.series?.[0]?.values[0]?.[1];
  };

  it.each([
    { measurement: 'socket_power', sensor: 'meter-power', value: 1234.56, how: 'u32 123456 × 0.01' },
    { measurement: 'socket_power', sensor: 'meter-power-f', value: 1234.5, how: 'f32' },
    { measurement: 'ambient_temp', sensor: 'cabinet-temp', value: 23.5, how: 'input u16 235 × 0.1' },
    { measurement: 'ambient_temp', sensor: 'outdoor-temp', value: -0.5, how: 'input i16 -10 × 0.1 + 0.5' },
  ])('$sensor in InfluxDB = $value ($how)', async ({ measurement, sensor, value }) => {
    const v = await waitFor(`${sensor} in InfluxDB`, () => last(measurement, sensor), 15_000);
    expect(v).toBeCloseTo(value, 6);
  });

  it('a slave that does not answer is counted in health (modbus_timeout); the others keep being read', async () => {
    await waitFor(
      'timeouts counted',
      () => (agent.health().serial.framesBad.modbus_timeout ?? 0) >= 2,
      10_000,
    );
    expect(agent.health().serial.framesBad.modbus_exception).toBe(0);
  });

  it('a meter that stops answering is logged each time it fails again after it answered (not only the first time)', async () => {
    const failures = () =>
      agentLog.lines.filter((l) => l.msg.startsWith('Modbus read failed') && l['device'] === 'meter').length;
    const recoveries = () =>
      agentLog.lines.filter((l) => l.msg === 'Modbus register answers again' && l['device'] === 'meter')
        .length;
    for (let outage = 1; outage <= 2; outage++) {
      const before = failures();
      if (slave) await stopChild(slave);
      await waitFor(`outage ${outage} logged`, () => failures() > before, 10_000);
      const answered = recoveries();
      await startSlave();
      await waitFor(`meter answers again after outage ${outage}`, () => recoveries() > answered, 10_000);
    }
  });
});
