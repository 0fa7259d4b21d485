/**
 * What staff routes of several modules share about the request and its answer: who acts (as the
 * history and audit rows name them) and a stored photo sent back.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';

/** The signed-in user behind the request, as history rows name them; null for the legacy token. */
export function actor(req: FastifyRequest): { id: number; displayName: string } | null {
  const id = req.principal?.userId;
  return id === null || id === undefined ? null : { id, displayName: req.principal?.displayName ?? '' };
}

/** A stored photo as the answer: its own type, never sniffed, cached by the browser only. */
export function sendPhoto(reply: FastifyReply, photo: { contentType: string; data: Buffer }): FastifyReply {
  return reply
    .header('content-type', photo.contentType)
    .header('x-content-type-options', 'nosniff')
    .header('cache-control', 'private, max-age=86400')
    .send(photo.data);
}
