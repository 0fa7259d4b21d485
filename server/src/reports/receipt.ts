/**
 * Receipt codes and upload tokens of riders' reports. A receipt is 8 Crockford base32 characters
 * (40 random bits, shown XXXX-XXXX): short enough to read out on the phone, with no I L O U, and
 * read back leniently (lower case, no dash, I/L as 1, O as 0). The upload token is 32 random bytes;
 * the store keeps only its SHA-256.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { RECEIPT_ALPHABET } from '../routes/rider-reports/schemas.js';

/** A new receipt, stored form (no dash). */
export function newReceipt(): string {
  const b = randomBytes(5);
  let bits = 0n;
  for (const x of b) bits = (bits << 8n) | BigInt(x);
  let s = '';
  for (let i = 0; i < 8; i++) s = RECEIPT_ALPHABET[Number((bits >> BigInt(5 * i)) & 31n)]! + s;
  return s;
}

/** The stored form of a receipt as a rider typed it, or undefined when it cannot be one. */
export function normalizeReceipt(typed: string): string | undefined {
  const s = typed.replace('-', '').toUpperCase().replace(/[IL]/g, '1').replace(/O/g, '0');
  if (s.length !== 8) return undefined;
  for (const c of s) if (!RECEIPT_ALPHABET.includes(c)) return undefined;
  return s;
}

/** XXXX-XXXX, as the rider sees it. */
export const showReceipt = (stored: string): string => `${stored.slice(0, 4)}-${stored.slice(4)}`;

export function newUploadToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: hashToken(token) };
}

export const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');

export function tokenMatches(token: string, hash: string | null): boolean {
  if (hash === null) return false;
  const a = Buffer.from(hashToken(token), 'hex');
  const b = Buffer.from(hash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** A device id or address as a limiter key that never holds the raw value in memory dumps or logs. */
export const limiterKey = (kind: string, v: string): string =>
  createHash('sha256').update(`${kind}:${v}`).digest('base64url').slice(0, 22);
