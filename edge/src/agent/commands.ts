/**
 * Commands on `yizhan/v1/stations/{id}/cmd` (docs/protocol/mqtt-v1.md §4.7): each one is answered
 * once on `cmd/result` with its `id`.
 *
 * - `ping`: answered at once, with the agent's version, uptime and serial link state.
 * - `get_config`: the controller's settings read with CONFIG_GET (after any config round under way).
 * - `reboot_controller`: serial v1 has no frame for it and the agent drives no reset line, so it is
 *   answered `ok: false` saying so.
 *
 * A command that fails its schema is answered `ok: false` when it carries a usable `id`; otherwise
 * it is logged and counted (health: `invalidCommands`), since there is nobody to answer.
 */
import type { Logger } from 'pino';
import type { CommandPayload } from '@yizhan/protocol/mqtt';
import { decodePayloadFor } from '@yizhan/protocol/mqtt';
import type { ControllerRead } from './remote-config.js';

export interface CommandResult {
  id: string;
  ok: boolean;
  result?: unknown;
  error?: string;
}

export interface CommandsOptions {
  logger: Logger;
  /** Publish the answer on cmd/result. */
  reply(r: CommandResult): void;
  /** What `ping` answers. */
  status(): Record<string, unknown>;
  /** The controller's settings (CONFIG_GET). */
  readController(): Promise<ControllerRead>;
}

const ID = /^[A-Za-z0-9_-]{1,64}$/;

export class Commands {
  private invalid = 0;

  constructor(private readonly o: CommandsOptions) {}

  /** Commands refused by their schema without an id to answer to. */
  get invalidCommands(): number {
    return this.invalid;
  }

  /** A message on the `cmd` topic. */
  onCommand(payload: Buffer): void {
    const d = decodePayloadFor('cmd', payload);
    if (!d.ok) {
      const id = idOf(payload);
      const error = `invalid command: ${d.error.reason}: ${d.error.message}`.slice(0, 256);
      this.o.logger.warn({ id, reason: d.error.reason, err: d.error.message }, 'command refused');
      if (id) this.o.reply({ id, ok: false, error });
      else this.invalid++;
      return;
    }
    void this.run(d.value);
  }

  private async run(c: CommandPayload): Promise<void> {
    this.o.logger.info({ id: c.id, name: c.name }, 'command received');
    switch (c.name) {
      case 'ping':
        this.o.reply({ id: c.id, ok: true, result: this.o.status() });
        return;
      case 'get_config': {
        const r = await this.o.readController();
        if (r.ok) this.o.reply({ id: c.id, ok: true, result: r.config });
        else this.o.reply({ id: c.id, ok: false, error: `controller: ${r.reason}`.slice(0, 256) });
        return;
      }
      case 'reboot_controller':
        this.o.reply({
          id: c.id,
          ok: false,
          error: 'not supported: serial v1 has no reboot frame and this agent drives no reset line',
        });
        return;
    }
  }
}

/** The `id` of a command that failed its schema, when it has a usable one. */
function idOf(payload: Buffer): string | undefined {
  try {
    const id = (JSON.parse(payload.toString('utf8')) as { id?: unknown }).id;
    return typeof id === 'string' && ID.test(id) ? id : undefined;
  } catch {
    return undefined;
  }
}
