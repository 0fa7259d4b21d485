/**
 * Photos of a work order, taken on the crew's phone: `POST /api/v1/work-orders/:id/photos` with the
 * raw image as the body (Content-Type image/jpeg, image/png or image/webp, at most 2 MB, refused
 * with 413 before it is read), its magic bytes checked against the type; stored in the operations
 * store. `GET …/photos/:photoId` serves it with its type, `nosniff` and a private cache.
 */
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { recordAudit } from '../../org/audit.js';
import { ErrorBody, pickLang } from '../../i18n.js';
import { PhotoAnswer } from './schemas.js';
import { actor, sendPhoto } from '../staff-request.js';
import { announce, orderFor, workOrderError } from './common.js';

export const MAX_PHOTO_BYTES = 2 * 1024 * 1024;

/** The image types taken, each with the bytes its files start with. */
export const PHOTO_MAGIC: Record<string, (b: Buffer) => boolean> = {
  'image/jpeg': (b) => b.length > 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff,
  'image/png': (b) => b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])),
  'image/webp': (b) =>
    b.length > 12 && b.toString('latin1', 0, 4) === 'RIFF' && b.toString('latin1', 8, 12) === 'WEBP',
};

const photoParams = Type.Object({ id: Type.Integer({ minimum: 1 }), photoId: Type.Integer({ minimum: 1 }) });

type App = Parameters<FastifyPluginCallbackTypebox>[0];

function uploadRoute(app: App): void {
  // Encapsulated here: these routes take image bodies only, as a Buffer; any other type (JSON
  // included) is refused with 415 before the body is read.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    Object.keys(PHOTO_MAGIC),
    { parseAs: 'buffer', bodyLimit: MAX_PHOTO_BYTES },
    (_req, body, next) => next(null, body),
  );
  app.post(
    '/api/v1/work-orders/:id/photos',
    {
      bodyLimit: MAX_PHOTO_BYTES,
      schema: {
        params: Type.Object({ id: Type.Integer({ minimum: 1 }) }),
        response: { 201: PhotoAnswer, '4xx': ErrorBody },
      },
      config: { access: 'alert:write' },
    },
    async (req, reply) => {
      const lang = pickLang(req, app.defaultLang);
      const row = await orderFor(app, req, reply, req.params.id, 'alert:write');
      if (!row) return reply;
      const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      const body = req.body as Buffer;
      if (!Buffer.isBuffer(body) || !PHOTO_MAGIC[type]?.(body))
        return reply.code(415).send(workOrderError('photo_mismatch', lang, { type }));
      const now = Date.now();
      const by = actor(req);
      const photoId = await app.ops.db.transaction().execute(async (trx) => {
        const { id } = await trx
          .insertInto('work_order_photos')
          .values({
            work_order_id: row.id,
            at: now,
            user_id: by?.id ?? null,
            content_type: type,
            bytes: body.length,
            data: body,
          })
          .returning('id')
          .executeTakeFirstOrThrow();
        await app.workOrders.repo.addEvent(trx, row.id, {
          at: now,
          kind: 'photo',
          user: by,
          photoId: Number(id),
        });
        await recordAudit(
          trx,
          req,
          {
            action: 'work_order.photo',
            target: `work_order:${row.id}`,
            township: row.township,
            after: { photoId: Number(id), contentType: type, bytes: body.length },
          },
          now,
        );
        return Number(id);
      });
      await announce(app, row.id);
      return reply
        .code(201)
        .send({ photo: { id: photoId, at: now, by, contentType: type, bytes: body.length } });
    },
  );
}

function getRoute(app: App): void {
  app.get(
    '/api/v1/work-orders/:id/photos/:photoId',
    { schema: { params: photoParams, response: { '4xx': ErrorBody } }, config: { access: 'station:read' } },
    async (req, reply) => {
      const row = await orderFor(app, req, reply, req.params.id, 'station:read');
      if (!row) return reply;
      const photo = await app.workOrders.repo.photo(row.id, req.params.photoId);
      if (!photo)
        return reply.code(404).send(
          workOrderError('photo_not_found', pickLang(req, app.defaultLang), {
            id: String(row.id),
            photo: String(req.params.photoId),
          }),
        );
      return sendPhoto(reply, photo);
    },
  );
}

const photoRoutes: FastifyPluginCallbackTypebox = (app, _opts, done) => {
  uploadRoute(app);
  getRoute(app);
  done();
};

export default photoRoutes;
