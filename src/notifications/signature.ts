/**
 * The signature of a notification, Stripe's scheme: `Tickwork-Signature: t=<unix seconds>,v1=<hex>` where
 * v1 is HMAC-SHA256 with the target's secret over `<t>.<raw body>`. The timestamp is inside what is
 * signed, so a receiver that checks it against its own clock refuses a replayed request; the body is
 * signed as sent (bytes), so a receiver must verify the raw body before parsing it.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** The header's name (HTTP header names are case-insensitive). */
export const SIGNATURE_HEADER = 'Tickwork-Signature';

/** Default tolerance of verifySignature: a request signed more than 5 minutes away from now is refused. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

/** The v1 signature of `body` at `timestampSeconds`, lowercase hex. */
export function signPayload(secret: string, timestampSeconds: number, body: string | Buffer): string {
  return createHmac('sha256', secret).update(`${timestampSeconds}.`).update(body).digest('hex');
}

/** The header value for `body` signed at `timestampSeconds`. */
export function signatureHeader(secret: string, timestampSeconds: number, body: string): string {
  return `t=${timestampSeconds},v1=${signPayload(secret, timestampSeconds, body)}`;
}

/**
 * For receivers: true when `header` carries a v1 signature of `body` (the raw request body, as received)
 * made with `secret`, at a time within `toleranceSeconds` of `nowSeconds` (default: this machine's clock).
 * Several v1 values are accepted (one matching suffices), for a secret being rotated.
 */
export function verifySignature(
  secret: string,
  header: string | undefined | null,
  body: string | Buffer,
  toleranceSeconds: number = DEFAULT_TOLERANCE_SECONDS,
  nowSeconds: number = Math.floor(new Date().getTime() / 1000),
): boolean {
  if (typeof header !== 'string' || typeof secret !== 'string' || secret === '') return false;
  let timestamp: number | null = null;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't' && /^\d{1,12}$/.test(value)) timestamp = Number(value);
    else if (key === 'v1' && /^[0-9a-f]{64}$/.test(value)) signatures.push(value);
  }
  if (timestamp === null || signatures.length === 0) return false;
  if (Math.abs(nowSeconds - timestamp) > toleranceSeconds) return false;
  const expected = Buffer.from(signPayload(secret, timestamp, body), 'hex');
  return signatures.some((signature) => timingSafeEqual(Buffer.from(signature, 'hex'), expected));
}
