/**
 * The compiled TypeBox check of a station, and its errors turned into findings (the messages come
 * from common/src/schema-errors.ts) placed at a path in the document.
 */
import { TypeCompiler } from '@sinclair/typebox/compiler';
import type { ValueError } from '@sinclair/typebox/errors';
import { describeValueError, isRecord, withoutEchoes } from '@yizhan/common/schema-errors';
import type { DataPath, Finding } from './issues.js';
import { StationConfig } from './schema.js';

/** What schemaFindings needs of a compiled TypeBox check. */
export interface CompiledCheck {
  Check(value: unknown): boolean;
  Errors(value: unknown): Iterable<ValueError>;
}

/** Compiled once per process. */
export const stationCheck = TypeCompiler.Compile(StationConfig);

/** JSON pointer `/sensors/3/channel` → `['sensors', 3, 'channel']`, indexes as numbers where the data has a list. */
function toPath(pointer: string, data: unknown): (string | number)[] {
  const out: (string | number)[] = [];
  let cur: unknown = data;
  for (const raw of pointer.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(cur) && /^\d+$/.test(key)) {
      out.push(Number(key));
      cur = cur[Number(key)];
    } else {
      out.push(key);
      cur = isRecord(cur) ? cur[key] : undefined;
    }
  }
  return out;
}

function valueAt(data: unknown, path: DataPath): unknown {
  let cur = data;
  for (const seg of path) {
    if (Array.isArray(cur) && typeof seg === 'number') cur = cur[seg];
    else if (isRecord(cur)) cur = cur[String(seg)];
    else return undefined;
  }
  return cur;
}

function describe(e: ValueError, path: DataPath, data: unknown): Finding {
  const last = String(path[path.length - 1] ?? '');
  const { at, message } = describeValueError(e, { last, parent: valueAt(data, path.slice(0, -1)) });
  return { path, at, message };
}

/** Every schema problem in `data`, one finding each (a station file unless another check is given). */
export function schemaFindings(data: unknown, check: CompiledCheck = stationCheck): Finding[] {
  if (check.Check(data)) return [];
  const out: Finding[] = [];
  const seen = new Set<string>();
  for (const e of withoutEchoes([...check.Errors(data)])) {
    const f = describe(e, toPath(e.path, data), data);
    const key = `${f.path.join('/')}\u0000${f.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(f);
  }
  return out;
}
