/**
 * Checks the schema cannot express: the id matches the file name, channels and sensor ids are
 * unique, `sockets` agrees with the socket channels (and only they say what they charge), durations are longer than zero, and a
 * station is open at some time. They read the raw data defensively, so they also run on files
 * with schema errors and every problem is reported in one pass.
 */
import { parseDuration } from '@yizhan/protocol/duration';
import { SensorKind } from '@yizhan/protocol/serial';
import type { DataPath, Finding } from './issues.js';
import { formatPath } from './issues.js';

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const DURATION_KEYS: readonly DataPath[] = [
  ['serial', 'frameTimeout'],
  ['dispenser', 'heatingTimeout'],
];

/** `expectedId` is the file name without its extension. */
export function semanticFindings(data: unknown, expectedId: string): Finding[] {
  if (!isRecord(data)) return [];
  const out: Finding[] = [];

  if (typeof data.id === 'string' && data.id !== expectedId)
    out.push({
      path: ['id'],
      at: 'value',
      message: `id "${data.id}" differs from the file name "${expectedId}"; rename the file to ${data.id}.yaml or set id: ${expectedId}`,
    });

  const sensors = Array.isArray(data.sensors) ? (data.sensors as unknown[]) : [];
  const byChannel = new Map<number, number>();
  const byId = new Map<string, number>();
  let socketStates = 0;
  sensors.forEach((s, i) => {
    if (!isRecord(s)) return;
    if (s.kind === 'socket_state') socketStates++;
    else if (s.charges !== undefined && typeof s.kind === 'string')
      out.push({
        path: ['sensors', i, 'charges'],
        at: 'key',
        message: `charges says what a socket charges; channel ${String(s.channel)} is a ${s.kind}, not a socket_state`,
      });
    if (typeof s.channel === 'number') {
      const first = byChannel.get(s.channel);
      if (first === undefined) byChannel.set(s.channel, i);
      else
        out.push({
          path: ['sensors', i, 'channel'],
          at: 'value',
          message: `channel ${s.channel} is already used by ${formatPath(['sensors', first])}; each channel may appear once`,
        });
    }
    if (typeof s.id === 'string') {
      const first = byId.get(s.id);
      if (first === undefined) byId.set(s.id, i);
      else
        out.push({
          path: ['sensors', i, 'id'],
          at: 'value',
          message: `sensor id "${s.id}" is already used by ${formatPath(['sensors', first])}; sensor ids must be unique in a station`,
        });
    }
  });

  // With a misspelt kind the count would be off too; the kind error says enough.
  const kindsKnown = sensors.every((s) => isRecord(s) && typeof s.kind === 'string' && s.kind in SensorKind);
  if (typeof data.sockets === 'number' && kindsKnown && data.sockets !== socketStates)
    out.push({
      path: ['sockets'],
      at: 'value',
      message: `sockets is ${data.sockets} but sensors has ${socketStates} channel(s) of kind socket_state; they must match`,
    });

  for (const path of DURATION_KEYS) {
    const [section, key] = path as [string, string];
    const parent = data[section];
    const v = isRecord(parent) ? parent[key] : undefined;
    if (typeof v !== 'string') continue;
    const d = parseDuration(v);
    // A duration that does not parse is reported by the schema check, with parseDuration's message.
    if (d.ok && d.ms <= 0)
      out.push({ path, at: 'value', message: `"${v}" is zero; a timeout must be longer than 0` });
  }

  if (typeof data.hours === 'string') {
    const [open, close] = data.hours.split('-');
    if (open !== undefined && open === close)
      out.push({
        path: ['hours'],
        at: 'value',
        message: `"${data.hours}" opens and closes at the same time; write "00:00-24:00" for always open`,
      });
  }
  return out;
}
