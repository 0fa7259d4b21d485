/**
 * The Node-RED peer of bench:ingest: Node-RED 4.x with node-red-contrib-influxdb, installed into
 * bench/.node-red (its own package.json, not a project dependency) when missing, and a sensible
 * batched flow on the same broker and load:
 *
 *   mqtt in (telemetry, events; QoS 1, JSON) → function (payload → points) → join (100 messages or
 *   0.2 s, like the server's flush interval) → function (flatten) → influxdb batch (1.x, database "nodered", precision ms)
 *
 * The flow does what a typical Node-RED integration does: no station registry, no dedupe, no spool.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { waitHttp } from './ingest-lib.js';
import { plainProc, type Proc } from './ingest-procs.js';

const NR_DIR = resolve(import.meta.dirname, '.node-red');
const RED = join(NR_DIR, 'node_modules', 'node-red', 'red.js');

/** `npm ci` in bench/.node-red when Node-RED is not there yet. */
export function ensureNodeRed(): string {
  if (
    !existsSync(join(NR_DIR, 'node_modules', 'node-red-contrib-influxdb', 'package.json')) ||
    !existsSync(RED)
  ) {
    process.stdout.write('installing Node-RED 4 and node-red-contrib-influxdb into bench/.node-red …\n');
    // Pinned by the tracked package.json and package-lock.json beside it.
    execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: NR_DIR, stdio: 'inherit' });
  }
  return RED;
}

const TO_POINTS = `
const m = msg.payload;
if (!m || typeof m !== 'object' || typeof m.stationId !== 'string') return null;
const t = new Date(m.ts);
if (Array.isArray(m.readings)) {
  msg.payload = m.readings.map((r) => ({
    measurement: r.kind, tags: { station: m.stationId, sensor: r.sensor }, fields: { value: Number(r.value) }, timestamp: t,
  }));
} else if (m.event && m.event.type === 'state') {
  msg.payload = [{ measurement: m.event.kind, tags: { station: m.stationId, sensor: m.event.sensor }, fields: { value: Number(m.event.value) }, timestamp: t }];
} else return null;
return msg;`;

export interface NodeRedRun {
  proc: Proc;
  url: string;
}

export async function startNodeRed(o: {
  workDir: string;
  logDir: string;
  port: number;
  mqttPort: number;
  mqttUser: string;
  mqttPassword: string;
  influxPort: number;
}): Promise<NodeRedRun> {
  const red = ensureNodeRed();
  const user = join(o.workDir, 'node-red-user');
  mkdirSync(user, { recursive: true });
  const flows = [
    { id: 'b0000000000000a1', type: 'tab', label: 'bench' },
    {
      id: 'b0000000000000b1',
      type: 'mqtt-broker',
      name: 'yizhan',
      broker: '127.0.0.1',
      port: String(o.mqttPort),
      clientid: 'nodered-bench',
      autoConnect: true,
      usetls: false,
      protocolVersion: '4',
      keepalive: '60',
      cleansession: false,
      autoUnsubscribe: false,
    },
    ...['telemetry', 'events'].map((leaf) => ({
      id: `b00000000000001${leaf === 'events' ? '2' : '1'}`,
      type: 'mqtt in',
      z: 'b0000000000000a1',
      name: leaf,
      topic: `yizhan/v1/stations/+/${leaf}`,
      qos: '1',
      datatype: 'json',
      broker: 'b0000000000000b1',
      nl: false,
      rap: true,
      rh: 0,
      inputs: 0,
      x: 100,
      y: leaf === 'events' ? 140 : 80,
      wires: [['b0000000000000c1']],
    })),
    {
      id: 'b0000000000000c1',
      type: 'function',
      z: 'b0000000000000a1',
      name: 'to points',
      func: TO_POINTS,
      outputs: 1,
      x: 300,
      y: 100,
      wires: [['b0000000000000d1']],
    },
    {
      id: 'b0000000000000d1',
      type: 'join',
      z: 'b0000000000000a1',
      name: 'batch',
      mode: 'custom',
      build: 'array',
      property: 'payload',
      propertyType: 'msg',
      key: 'topic',
      joiner: '\\n',
      joinerType: 'str',
      accumulate: false,
      timeout: '0.2',
      count: '100',
      reduceRight: false,
      x: 480,
      y: 100,
      wires: [['b0000000000000e1']],
    },
    {
      id: 'b0000000000000e1',
      type: 'function',
      z: 'b0000000000000a1',
      name: 'flatten',
      func: 'msg.payload = msg.payload.flat();\nreturn msg;',
      outputs: 1,
      x: 640,
      y: 100,
      wires: [['b0000000000000f1']],
    },
    {
      id: 'b0000000000000f2',
      type: 'influxdb',
      hostname: '127.0.0.1',
      port: String(o.influxPort),
      protocol: 'http',
      database: 'nodered',
      name: 'influx',
      usetls: false,
      influxdbVersion: '1.x',
      url: `http://127.0.0.1:${o.influxPort}`,
      rejectUnauthorized: true,
    },
    {
      id: 'b0000000000000f1',
      type: 'influxdb batch',
      z: 'b0000000000000a1',
      influxdb: 'b0000000000000f2',
      precision: 'ms',
      retentionPolicy: '',
      name: 'influx batch',
      x: 800,
      y: 100,
      wires: [],
    },
  ];
  writeFileSync(join(user, 'flows.json'), JSON.stringify(flows, null, 1));
  writeFileSync(
    join(user, 'flows_cred.json'),
    JSON.stringify({ b0000000000000b1: { user: o.mqttUser, password: o.mqttPassword } }),
  );
  const settings = join(user, 'settings.cjs');
  writeFileSync(
    settings,
    `module.exports = { uiPort: ${o.port}, uiHost: '127.0.0.1', userDir: ${JSON.stringify(user)}, flowFile: 'flows.json',
  credentialSecret: false, httpAdminRoot: '/admin', httpNodeRoot: false, editorTheme: { tours: false },
  logging: { console: { level: 'warn', metrics: false, audit: false } } };\n`,
  );
  const proc = plainProc(
    'node-red',
    process.execPath,
    ['--max-old-space-size=4096', red, '--settings', settings, '--userDir', user],
    { ...process.env },
    o.logDir,
  );
  const url = `http://127.0.0.1:${o.port}`;
  await waitHttp(`${url}/admin/`, 60_000);
  return { proc, url };
}
