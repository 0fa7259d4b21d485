/**
 * What every planning route (analytics, coverage, exports) does with a request before its own work
 * and with its answer after: the reader's language and the stations of the townships it reads
 * (planning:read, narrowed by `?township=`), and the answer as JSON or as a CSV/GeoJSON file by
 * `?format=`.
 */
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import { townshipsWith } from '../../auth/roles.js';
import { pickLang, type Lang } from '../../i18n.js';
import type { StationEntry } from '../../registry.js';
import { townshipFilterAllowed } from '../township-access.js';

export type App = Parameters<FastifyPluginCallbackTypebox>[0];

/** `?lang=`, accepted by every planning route (pickLang reads it). */
export const LangQuery = Type.Object({ lang: Type.Optional(Type.String()) });

export interface Reader {
  lang: Lang;
  /** The townships the answer covers: `?township=`, else every township the reader holds planning:read in. */
  codes: 'all' | ReadonlySet<string>;
  /** The stations of `codes`, by id. */
  stations(): StationEntry[];
}

/**
 * The reader of a planning request; undefined once 404 (unknown `township`) or 403 (a township the
 * reader may not read) was sent.
 */
export function readerOf(
  app: App,
  req: FastifyRequest,
  reply: FastifyReply,
  township?: string,
): Reader | undefined {
  if (!townshipFilterAllowed(app, req, reply, 'planning:read', township)) return undefined;
  const codes = township !== undefined ? new Set([township]) : townshipsWith(req.principal!, 'planning:read');
  return {
    lang: pickLang(req, app.defaultLang),
    codes,
    stations: () =>
      codes === 'all'
        ? app.registry.all()
        : app.registry.all().filter((e) => codes.has(app.hierarchy.townshipOf(e.config.id) ?? '')),
  };
}

export type FileFormat = 'csv' | 'geojson';

const TYPES: Record<FileFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  geojson: 'application/geo+json; charset=utf-8',
};

/** A download: `name` is the file name with its extension. */
export function sendFile(reply: FastifyReply, name: string, format: FileFormat, body: string): FastifyReply {
  return reply
    .header('content-type', TYPES[format])
    .header('content-disposition', `attachment; filename="${name}"`)
    .send(body);
}

/**
 * The answer for `?format=`: JSON (absent or `json`), else the file `base.<format>` made by `files`
 * from the same answer.
 */
export function answerAs<T, F extends FileFormat>(
  reply: FastifyReply,
  format: 'json' | F | undefined,
  base: string,
  answer: T,
  files: Record<F, (a: T) => string>,
): T | FastifyReply {
  if (format === undefined || format === 'json') return answer;
  return sendFile(reply, `${base}.${format}`, format, files[format](answer));
}
