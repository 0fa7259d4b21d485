/**
 * Remote config: the server publishes a station's desired runtime config (retained, on
 * `config/desired`); the agent checks it, applies it to the controller with CONFIG_SET frames one at
 * a time (waiting for each ACK/NAK), and reports the outcome on `config/reported` (retained).
 *
 * - Invalid (schema, or a sensor id this station does not have): `rejected`, reason `invalid: …`;
 *   nothing is sent to the controller.
 * - A NAK or no answer: `rejected`, reason names the key, value and the controller's reason; the keys
 *   already changed in this round are set back to the values read with CONFIG_GET before the round,
 *   so the previous config stays.
 * - The applied config and its version are saved (stateFile) and applied again when the controller
 *   says HELLO (it rebooted and lost its settings).
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { Logger } from 'pino';
import type { StationConfig } from '@yizhan/station-config/schema';
import type { StationRuntimeConfig } from '@yizhan/protocol/mqtt';
import { decodePayloadFor } from '@yizhan/protocol/mqtt';
import { ConfigKey, nakReasonFromCode, type ConfigKeyName } from '@yizhan/protocol/serial';
import type { Frame } from '@yizhan/protocol/serial';

export interface ConfigReport {
  version: number;
  status: 'applied' | 'rejected';
  reason?: string;
  applied: StationRuntimeConfig;
}

export type ControllerRequest =
  { type: 'config_set'; key: number; value: number } | { type: 'config_get'; key: number };

export interface RemoteConfigOptions {
  station: StationConfig;
  /** Send a request to the controller; returns its frame seq, or undefined when the port is closed. */
  send(req: ControllerRequest): number | undefined;
  report(r: ConfigReport): void;
  logger: Logger;
  /** Wait for ACK/NAK/CONFIG_VALUE, ms. Default {@link DEFAULT_CONFIG_ANSWER_TIMEOUT_MS}. */
  answerTimeoutMs?: number;
  /** Where the applied config is kept across restarts; none = memory only. */
  stateFile?: string;
}

/** 2 000 ms for the controller to answer one request. */
export const DEFAULT_CONFIG_ANSWER_TIMEOUT_MS = 2000;

interface Saved {
  version: number;
  applied: StationRuntimeConfig;
}

type Answer = { ok: true; value?: number } | { ok: false; reason: string };


/** The settings CONFIG_GET can read, and the runtime config field each one is. */
const READABLE = [
  ['readingIntervalS', 'reading_interval_s'],
  ['heartbeatIntervalS', 'heartbeat_interval_s'],
  ['doorStuckS', 'door_stuck_s'],
  ['waterSetpointC', 'water_setpoint_dc'],
] as const;

export type ControllerRead = { ok: true; config: StationRuntimeConfig } | { ok: false; reason: string };

export class RemoteConfig {
  private saved: Saved = { version: 0, applied: {} };
  private waiting: { seq: number | undefined; key: number; resolve: (a: Answer) => void } | undefined;
  private next: { version: number; config: StationRuntimeConfig } | undefined;
  private busy = false;
  /** Requests to the controller run one round at a time (a config round, a get_config command). */
  private chain: Promise<unknown> = Promise.resolve();
  private readonly channels: Map<string, number>;

  constructor(private readonly o: RemoteConfigOptions) {
    this.channels = new Map(o.station.sensors.map((s) => [s.id, s.channel]));
    if (o.stateFile) {
      try {
        const v = JSON.parse(readFileSync(o.stateFile, 'utf8')) as Partial<Saved>;
        if (typeof v.version === 'number' && typeof v.applied === 'object' && v.applied !== null)
          this.saved = { version: v.version, applied: v.applied };
      } catch {
        // first start: nothing applied yet
      }
    }
  }

  get version(): number {
    return this.saved.version;
  }
  get applied(): StationRuntimeConfig {
    return this.saved.applied;
  }

  /** A `config/desired` message arrived. */
  onDesired(payload: Buffer): void {
    const d = decodePayloadFor('config/desired', payload);
    if (!d.ok) {
      this.reject(versionOf(payload), `invalid: ${d.error.reason}: ${d.error.message}`);
      return;
    }
    const { version, config } = d.value;
    if (version <= this.saved.version) return; // already applied (retained copy after a reconnect)
    const unknown = Object.keys(config.sensorsEnabled ?? {}).filter((id) => !this.channels.has(id));
    if (unknown.length) {
      this.reject(
        version,
        `invalid: sensorsEnabled: no sensor ${unknown.map((u) => `"${u}"`).join(', ')} at ${this.o.station.id}`,
      );
      return;
    }
    this.next = { version, config };
    void this.drain();
  }

  /** A frame from the controller: answers to our requests, or HELLO (a reboot). */
  onFrame(f: Frame): void {
    const w = this.waiting;
    if (f.type === 'hello') {
      if (Object.keys(this.saved.applied).length > 0) {
        this.o.logger.info({ version: this.saved.version }, 'controller rebooted; applying the config again');
        this.next ??= { version: this.saved.version, config: this.saved.applied };
        void this.drain(true);
      }
      return;
    }
    if (!w) return;
    if (f.type === 'ack' && f.ackSeq === w.seq) w.resolve({ ok: true });
    else if (f.type === 'nak' && f.nakSeq === w.seq)
      w.resolve({ ok: false, reason: nakReasonFromCode(f.reason) ?? `nak ${f.reason}` });
    else if (f.type === 'config_value' && f.key === w.key) w.resolve({ ok: true, value: f.value });
  }

  /** Read the controller's settings with CONFIG_GET, one key after another, between config rounds. */
  readController(): Promise<ControllerRead> {
    return this.exclusive(async (): Promise<ControllerRead> => {
      const config: Record<string, number> = {};
      for (const [field, key] of READABLE) {
        const a = await this.ask({ type: 'config_get', key: ConfigKey[key] });
        if (!a.ok) return { ok: false, reason: `CONFIG_GET ${key}: ${a.reason}` };
        if (a.value === undefined) return { ok: false, reason: `CONFIG_GET ${key}: answered without a value` };
        config[field] = key === 'water_setpoint_dc' ? a.value / 10 : a.value;
      }
      return { ok: true, config };
    });
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  private reject(version: number, reason: string): void {
    this.o.logger.warn({ version, reason }, 'desired config rejected; the previous config stays');
    this.o.report({ version, status: 'rejected', reason: reason.slice(0, 256), applied: this.saved.applied });
  }

  private async drain(reapply = false): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      await this.exclusive(async () => {
        for (let n = this.next; n; n = this.next) {
          this.next = undefined;
          await this.apply(n.version, n.config, reapply && n.version === this.saved.version);
        }
      });
    } finally {
      this.busy = false;
    }
  }

  private async apply(version: number, config: StationRuntimeConfig, reapply: boolean): Promise<void> {
    const steps = this.steps(config);
    // Read the current values first, so that a NAK halfway can put them back.
    const before = new Map<number, number>();
    for (const s of steps) {
      if (s.key === ConfigKey.channel_enable || before.has(s.key)) continue;
      const a = await this.ask({ type: 'config_get', key: s.key });
      if (a.ok && a.value !== undefined) before.set(s.key, a.value);
    }
    const done: typeof steps = [];
    for (const s of steps) {
      const a = await this.ask({ type: 'config_set', key: s.key, value: s.value });
      if (!a.ok) {
        await this.rollback(done, before);
        if (reapply)
          this.o.logger.error(
            { version, reason: a.reason },
            'controller refused the saved config after a reboot',
          );
        else this.reject(version, `controller refused ${s.name}=${s.value}: ${a.reason}`);
        return;
      }
      done.push(s);
    }
    if (reapply) return;
    const applied: StationRuntimeConfig = {
      ...this.saved.applied,
      ...config,
      ...(config.sensorsEnabled || this.saved.applied.sensorsEnabled
        ? { sensorsEnabled: { ...this.saved.applied.sensorsEnabled, ...config.sensorsEnabled } }
        : {}),
    };
    this.saved = { version, applied };
    this.save();
    this.o.logger.info({ version, applied }, 'desired config applied');
    this.o.report({ version, status: 'applied', applied });
  }

  private async rollback(
    done: { key: number; value: number; name: string; previous?: number }[],
    before: Map<number, number>,
  ): Promise<void> {
    for (const s of done.reverse()) {
      const value = s.key === ConfigKey.channel_enable ? s.previous : before.get(s.key);
      if (value === undefined) continue;
      const a = await this.ask({ type: 'config_set', key: s.key, value });
      if (!a.ok) this.o.logger.error({ key: s.name, value, reason: a.reason }, 'could not restore a setting');
    }
  }

  private steps(c: StationRuntimeConfig): { key: number; value: number; name: string; previous?: number }[] {
    const out: { key: number; value: number; name: string; previous?: number }[] = [];
    const add = (name: ConfigKeyName, value: number | undefined): void => {
      if (value !== undefined) out.push({ key: ConfigKey[name], value, name });
    };
    add('reading_interval_s', c.readingIntervalS);
    add('heartbeat_interval_s', c.heartbeatIntervalS);
    add('door_stuck_s', c.doorStuckS);
    add('water_setpoint_dc', c.waterSetpointC === undefined ? undefined : Math.round(c.waterSetpointC * 10));
    for (const [id, on] of Object.entries(c.sensorsEnabled ?? {})) {
      const ch = this.channels.get(id);
      if (ch === undefined) continue;
      const was = this.saved.applied.sensorsEnabled?.[id] ?? true;
      out.push({
        key: ConfigKey.channel_enable,
        value: (ch << 8) | (on ? 1 : 0),
        name: `sensorsEnabled.${id}`,
        previous: (ch << 8) | (was ? 1 : 0),
      });
    }
    return out;
  }

  private ask(req: ControllerRequest): Promise<Answer> {
    const ms = this.o.answerTimeoutMs ?? DEFAULT_CONFIG_ANSWER_TIMEOUT_MS;
    return new Promise<Answer>((resolve) => {
      const w = {
        seq: undefined as number | undefined,
        key: req.key,
        resolve: (a: Answer): void => {
          clearTimeout(timer);
          if (this.waiting === w) this.waiting = undefined;
          resolve(a);
        },
      };
      const timer = setTimeout(
        () => w.resolve({ ok: false, reason: `no answer within ${ms} ms (serial link down?)` }),
        ms,
      );
      this.waiting = w;
      w.seq = this.o.send(req);
      if (w.seq === undefined) w.resolve({ ok: false, reason: 'serial port is not open' });
    });
  }

  private save(): void {
    const f = this.o.stateFile;
    if (!f) return;
    try {
      writeFileSync(`${f}.tmp`, JSON.stringify(this.saved));
      renameSync(`${f}.tmp`, f);
    } catch (e) {
      this.o.logger.warn({ err: (e as Error).message, file: f }, 'cannot save the applied config');
    }
  }
}

/** The version of a desired payload that failed its schema, when it has a usable one; else 0. */
function versionOf(payload: Buffer): number {
  try {
    const v = (JSON.parse(payload.toString('utf8')) as { version?: unknown }).version;
    return typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : 0;
  } catch {
    return 0;
  }
}
