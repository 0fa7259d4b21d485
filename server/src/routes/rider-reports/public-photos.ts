/**
 * A rider's photo upload: `POST /api/v1/public/reports/:receipt/photos` with the upload token, the
 * raw JPEG/PNG/WebP (≤ 2 MB, refused with 413 before it is read); the content type, token and
 * count checked in `preParsing` before the bytes are read; the magic bytes, the header's size and
 * the structure checked after; metadata stripped unless `keepLocation=1` (reports/image.ts).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ErrorBody } from '../../i18n.js';
import { normalizeReceipt, tokenMatches } from '../../reports/receipt.js';
import { MAX_PHOTO_SIDE } from '../../reports/limits.js';
import { BadImageError, readImage, sniffImage } from '../../reports/image.js';
import { MAX_PHOTO_BYTES } from '../work-orders/photos.js';
import {
  MAX_REPORT_PHOTOS,
  PhotoUploadAnswer,
  PhotoUploadQuery,
  REPORT_PHOTO_TYPES,
  ReceiptParams,
} from './schemas.js';
import type { App } from './common.js';
import { PUBLIC_REPORT_PHOTOS_URL, refuse } from './public-common.js';

/** The upload's receipt, token, type and count, checked before its bytes are read. */
async function checkUpload(app: App, req: FastifyRequest, reply: FastifyReply) {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (!(REPORT_PHOTO_TYPES as readonly string[]).includes(type))
    return refuse(app, req, reply, 415, 'not_image', 'not_image', { type: type || '(none)' });
  const auth = req.headers.authorization ?? '';
  const token = auth.startsWith('Bearer ') ? auth.slice(7).trim() : '';
  const { receipt } = req.params as { receipt: string };
  const stored = normalizeReceipt(receipt);
  const row =
    stored === undefined || token === '' ? undefined : await app.riderReports.repo.byReceipt(stored);
  if (!row || !tokenMatches(token, row.upload_token_hash) || Date.now() > Number(row.upload_until))
    return refuse(app, req, reply, 401, 'bad_token', 'bad_token');
  if ((await app.riderReports.repo.photoCount(row.id)) >= MAX_REPORT_PHOTOS)
    return refuse(app, req, reply, 409, 'too_many_photos', 'too_many_photos', {
      max: String(MAX_REPORT_PHOTOS),
    });
  (req as FastifyRequest & { report?: typeof row }).report = row;
  return undefined;
}

export function photoRoute(app: App): void {
  // Encapsulated (registered as its own plugin): image bodies only, as a Buffer.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    [...REPORT_PHOTO_TYPES],
    { parseAs: 'buffer', bodyLimit: MAX_PHOTO_BYTES },
    (_r, body, next) => next(null, body),
  );
  app.post(
    PUBLIC_REPORT_PHOTOS_URL,
    {
      bodyLimit: MAX_PHOTO_BYTES,
      preParsing: async (req, reply, payload) => {
        await checkUpload(app, req, reply);
        return payload;
      },
      schema: {
        params: ReceiptParams,
        querystring: PhotoUploadQuery,
        response: { 201: PhotoUploadAnswer, '4xx': ErrorBody },
      },
      config: { access: 'public' },
    },
    async (req, reply) => {
      const row = (req as FastifyRequest & { report?: { id: number; category: string } }).report!;
      const body = req.body as Buffer;
      const type = sniffImage(body);
      const declared = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      if (type === undefined || type !== declared)
        return refuse(app, req, reply, 415, 'not_image', 'not_image', { type: declared });
      const keep = req.query.keepLocation === '1';
      let image;
      try {
        image = readImage(body, type, keep);
      } catch (e) {
        if (e instanceof BadImageError) return refuse(app, req, reply, 415, 'bad_image', 'bad_image');
        throw e;
      }
      const { width: w, height: h } = image.info;
      if (Math.max(w, h) > MAX_PHOTO_SIDE)
        return refuse(app, req, reply, 422, 'too_big_image', 'image_too_big', {
          w: String(w),
          h: String(h),
          max: String(MAX_PHOTO_SIDE),
        });
      const n = await app.riderReports.repo.addPhoto(
        row.id,
        { at: Date.now(), contentType: type, data: image.data, keptLocation: keep },
        MAX_REPORT_PHOTOS,
      );
      if (n === undefined)
        return refuse(app, req, reply, 409, 'too_many_photos', 'too_many_photos', {
          max: String(MAX_REPORT_PHOTOS),
        });
      app.metrics.riderReportPhotos.inc({ metadata: keep ? 'kept' : 'stripped' });
      return reply.code(201).send({ photo: n });
    },
  );
}
