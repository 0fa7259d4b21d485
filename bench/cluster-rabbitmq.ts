/**
 * RabbitMQ's MQTT plugin (Debian's rabbitmq-server) as a bench:cluster engine: N nodes on this
 * machine, each a plain process group under `dir` with its own ports, data and log folders, one
 * epmd of their own on a free port and one Erlang cookie. The nodes form one cluster by
 * classic-config peer discovery (node-1 first, then the others join it); the accounts are loaded at
 * boot from a definitions file (bench/cluster-rabbitmq-conf.ts).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, openSync, closeSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import mqtt from 'mqtt';
import { freePort, waitForPort } from '../scripts/lib/ports.js';
import type { ClusterAccount, ClusterEngine } from './cluster-engine.js';
import { definitions, nodeConfig } from './cluster-rabbitmq-conf.js';

const RMQ_BIN = '/usr/lib/rabbitmq/bin';
/** A node restarted beside a peer without a Raft leader waits 100 s for it (mqtt_node START_TIMEOUT). */
const BOOT_TIMEOUT_MS = 300_000;
const run = promisify(execFile);

export interface RabbitmqEngineOptions {
  /** Cluster size (default 2). */
  nodes?: number;
  /** Queue type of persistent QoS 1 sessions (default classic, RabbitMQ's default). */
  durableQueueType?: 'classic' | 'quorum';
}

interface RmqNode {
  part: string;
  /** Erlang node name, `yzN-<random>@localhost`. */
  name: string;
  mqttPort: number;
  base: string;
  env: NodeJS.ProcessEnv;
  proc?: ChildProcess;
  exited?: Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const alive = (p: ChildProcess | undefined): p is ChildProcess =>
  !!p && p.exitCode === null && p.signalCode === null;

const groups = new Set<ChildProcess>();
process.once('exit', () => {
  for (const p of groups) if (alive(p)) process.kill(-p.pid!, 'SIGKILL');
});

/** Spawn `cmd` as the leader of its own process group (the node is a shell wrapper around beam.smp). */
function spawnGroup(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  logFile: string,
): { proc: ChildProcess; exited: Promise<void> } {
  const fd = openSync(logFile, 'a');
  const proc = spawn(cmd, args, { env, stdio: ['ignore', fd, fd], detached: true });
  closeSync(fd);
  groups.add(proc);
  const exited = new Promise<void>((resolve) =>
    proc.once('exit', () => {
      groups.delete(proc);
      resolve();
    }),
  );
  return { proc, exited };
}

async function killGroup(
  proc: ChildProcess | undefined,
  exited: Promise<void> | undefined,
  signal: NodeJS.Signals,
): Promise<void> {
  if (!alive(proc)) return;
  try {
    process.kill(-proc.pid!, signal);
  } catch {
    /* the group is already gone */
  }
  await exited;
}

/** Try one MQTT login; resolves with the error text, or undefined when CONNACK accepted it. */
export async function mqttLogin(
  url: string,
  username: string,
  password: string,
): Promise<string | undefined> {
  try {
    const c = await mqtt.connectAsync(
      url,
      {
        username,
        password,
        clientId: `probe-${randomBytes(4).toString('hex')}`,
        reconnectPeriod: 0,
        connectTimeout: 10_000,
      },
      false,
    );
    await c.endAsync(true);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

export function rabbitmqEngine(opts: RabbitmqEngineOptions = {}): ClusterEngine {
  const count = opts.nodes ?? 2;
  if (!Number.isInteger(count) || count < 1)
    throw new Error(`rabbitmq engine: nodes must be a whole number ≥ 1, got ${count}`);
  let nodes: RmqNode[] = [];
  let epmd: { proc: ChildProcess; exited: Promise<void> } | undefined;
  let ctlEnv: NodeJS.ProcessEnv = {};
  let probe: { username: string; secret: string } | undefined;

  const node = (part: string): RmqNode => {
    const n = nodes.find((x) => x.part === part);
    if (!n)
      throw new Error(
        `rabbitmq engine: unknown part "${part}" (parts: ${nodes.map((x) => x.part).join(', ')})`,
      );
    return n;
  };
  const url = (n: RmqNode): string => `mqtt://127.0.0.1:${n.mqttPort}`;

  async function ctl(n: RmqNode, ...args: string[]): Promise<string> {
    const { stdout } = await run(join(RMQ_BIN, 'rabbitmqctl'), ['-n', n.name, ...args], {
      env: ctlEnv,
      timeout: 60_000,
    });
    return stdout;
  }

  /** Erlang node names the node itself reports as running members of its cluster. */
  async function runningNodes(n: RmqNode): Promise<string[]> {
    const out = await ctl(n, 'cluster_status', '--formatter', 'json');
    return (JSON.parse(out) as { running_nodes?: string[] }).running_nodes ?? [];
  }

  function launch(n: RmqNode): void {
    const g = spawnGroup(join(RMQ_BIN, 'rabbitmq-server'), [], n.env, join(n.base, 'stdout.log'));
    n.proc = g.proc;
    n.exited = g.exited;
  }

  /** Resolve when `n` accepts an MQTT login and reports every live node (itself included) as running. */
  async function awaitServing(n: RmqNode): Promise<void> {
    const deadline = Date.now() + BOOT_TIMEOUT_MS;
    let last = 'not started';
    for (;;) {
      if (!alive(n.proc))
        throw new Error(
          `rabbitmq ${n.part} (${n.name}) exited during start; see ${n.base}/log and ${n.base}/stdout.log`,
        );
      if (Date.now() > deadline)
        throw new Error(
          `rabbitmq ${n.part} did not serve MQTT in the cluster within ${BOOT_TIMEOUT_MS} ms: ${last}`,
        );
      const refused = await mqttLogin(url(n), probe!.username, probe!.secret);
      if (refused === undefined) {
        const expected = nodes.filter((x) => alive(x.proc)).map((x) => x.name);
        try {
          const running = await runningNodes(n);
          const missing = expected.filter((x) => !running.includes(x));
          if (missing.length === 0) return;
          last = `cluster_status of ${n.name} lacks ${missing.join(', ')}`;
        } catch (e) {
          last = `rabbitmqctl cluster_status: ${(e as Error).message.split('\n')[0]}`;
        }
      } else last = `MQTT login: ${refused}`;
      await sleep(1_000);
    }
  }

  /** Resolve when `n` has booted (`rabbitmqctl await_startup`), whether or not it serves MQTT. */
  async function awaitBooted(n: RmqNode): Promise<void> {
    const deadline = Date.now() + BOOT_TIMEOUT_MS;
    for (;;) {
      if (!alive(n.proc))
        throw new Error(`rabbitmq ${n.part} (${n.name}) exited during start; see ${n.base}/log`);
      try {
        await ctl(n, 'await_startup', '--timeout', '60');
        return;
      } catch (e) {
        if (Date.now() > deadline)
          throw new Error(
            `rabbitmq ${n.part} did not boot within ${BOOT_TIMEOUT_MS} ms: ${(e as Error).message.split('\n')[0]}`,
          );
        await sleep(1_000);
      }
    }
  }

  async function stopAll(): Promise<void> {
    await Promise.all(nodes.map((n) => killGroup(n.proc, n.exited, 'SIGKILL')));
    await killGroup(epmd?.proc, epmd?.exited, 'SIGKILL');
  }

  return {
    name: 'rabbitmq',

    async start(dir, accounts: ClusterAccount[]) {
      if (!existsSync(join(RMQ_BIN, 'rabbitmq-server')))
        throw new Error('rabbitmq-server is not installed: apt-get install rabbitmq-server');
      if (accounts.length === 0) throw new Error('rabbitmq engine: start needs at least one account');
      const home = join(dir, 'home');
      mkdirSync(home, { recursive: true });
      writeFileSync(join(home, '.erlang.cookie'), randomBytes(20).toString('hex').toUpperCase(), {
        mode: 0o400,
      });
      const epmdPort = await freePort();
      ctlEnv = {
        PATH: process.env.PATH,
        HOME: home,
        LANG: 'C.UTF-8',
        ERL_EPMD_PORT: String(epmdPort),
        RABBITMQ_CONF_ENV_FILE: join(dir, 'rabbitmq-env.conf'),
      };
      epmd = spawnGroup(
        'epmd',
        ['-port', String(epmdPort), '-address', '127.0.0.1'],
        ctlEnv,
        join(dir, 'epmd.log'),
      );
      await waitForPort(epmdPort);

      const secrets = new Map(accounts.map((a) => [a.username, randomBytes(18).toString('base64url')]));
      const probeAccount = accounts.find((a) => a.role === 'server') ?? accounts[0]!;
      probe = { username: probeAccount.username, secret: secrets.get(probeAccount.username)! };
      const definitionsFile = join(dir, 'definitions.json');
      writeFileSync(definitionsFile, JSON.stringify(definitions(accounts, secrets), null, 1));
      writeFileSync(join(dir, 'enabled_plugins'), '[rabbitmq_mqtt].\n');

      const tag = randomBytes(3).toString('hex');
      const names = Array.from({ length: count }, (_, i) => `yz${i + 1}-${tag}@localhost`);
      nodes = [];
      for (const [i, name] of names.entries()) {
        const base = join(dir, `node-${i + 1}`);
        mkdirSync(join(base, 'log'), { recursive: true });
        const [amqpPort, distPort, mqttPort] = [await freePort(), await freePort(), await freePort()];
        const conf = join(base, 'rabbitmq.conf');
        writeFileSync(
          conf,
          nodeConfig({
            amqpPort,
            mqttPort,
            definitionsFile,
            clusterNodes: i === 0 ? [name] : names,
            durableQueueType: opts.durableQueueType ?? 'classic',
          }),
        );
        nodes.push({
          part: `node-${i + 1}`,
          name,
          mqttPort,
          base,
          env: {
            ...ctlEnv,
            RABBITMQ_NODENAME: name,
            RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
            RABBITMQ_NODE_PORT: String(amqpPort),
            RABBITMQ_DIST_PORT: String(distPort),
            RABBITMQ_MNESIA_BASE: join(base, 'mnesia'),
            RABBITMQ_LOG_BASE: join(base, 'log'),
            RABBITMQ_CONFIG_FILE: conf,
            RABBITMQ_ADVANCED_CONFIG_FILE: join(base, 'advanced.config'),
            RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
          },
        });
      }
      try {
        // node-1 boots alone first: peers that boot blank at the same time may each form a cluster of one.
        launch(nodes[0]!);
        await awaitServing(nodes[0]!);
        for (const n of nodes.slice(1)) launch(n);
        for (const n of nodes.slice(1)) await awaitServing(n);
        await awaitServing(nodes[0]!);
      } catch (e) {
        await stopAll();
        throw e;
      }
      return secrets;
    },

    nodeUrls: () => nodes.map(url),
    parts: () => nodes.map((n) => n.part),

    async kill(part, signal = 'SIGKILL') {
      const n = node(part);
      await killGroup(n.proc, n.exited, signal);
    },

    async restart(part) {
      const n = node(part);
      if (alive(n.proc)) throw new Error(`rabbitmq engine: ${part} is still running; kill it first`);
      // A node that was not the last one down waits for its peers to boot; with none running it may
      // not wait (force_boot), but until a majority of the mqtt_node Raft members is back it refuses
      // every MQTT connection ("Server unavailable"): it is then ready once booted, and says so.
      const alone = !nodes.some((x) => alive(x.proc));
      if (alone)
        await run(join(RMQ_BIN, 'rabbitmqctl'), ['-n', n.name, 'force_boot'], {
          env: n.env,
          timeout: 60_000,
        });
      launch(n);
      if (!alone || count === 1) return awaitServing(n);
      await awaitBooted(n);
      console.warn(
        `rabbitmq ${part} restarted with no peer running: booted, MQTT refused until a majority of nodes is back`,
      );
    },

    async stop() {
      await stopAll();
    },
  };
}
