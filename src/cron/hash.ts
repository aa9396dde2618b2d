/**
 * The stable hash behind cron's `H` (Jenkins' "hashed" value): one number per (job id, field), the same in
 * every process, on every node and after every restart, because it is computed from the job id alone with
 * fixed integer arithmetic (no seed, no platform hash). The formula is part of the public contract (the
 * README documents it), so it must never change: a change would move every stored `H` job.
 *
 *   h    = FNV-1a 32-bit of the job id's UTF-8 bytes (offset basis 2166136261, prime 16777619)
 *   x    = h XOR (fieldIndex + 1) * 0x9E3779B9 (mod 2^32), fieldIndex 0 second, 1 minute, 2 hour,
 *          3 day-of-month, 4 month, 5 day-of-week (the same index with or without a seconds field)
 *   x    = murmur3's fmix32(x): x ^= x >>> 16; x *= 0x85EBCA6B; x ^= x >>> 13; x *= 0xC2B2AE35; x ^= x >>> 16
 *   `H` over the values lo-hi is lo + x mod (hi - lo + 1); `H/n` starts at lo + x mod n.
 *
 * The mixing step makes the fields of one job differ (`H H * * *` is not minute = hour), and spreads ids
 * that differ in one character.
 */

/** The fields in the order of the hash's field index. */
export const HASH_FIELD_INDEX = { second: 0, minute: 1, hour: 2, 'day-of-month': 3, month: 4, 'day-of-week': 5 } as const;

/** FNV-1a 32-bit of the UTF-8 encoding of `text`, as an unsigned integer. */
export function fnv1a32(text: string): number {
  let h = 0x811c9dc5;
  const mix = (byte: number): void => {
    h = Math.imul(h ^ byte, 0x01000193);
  };
  for (let i = 0; i < text.length; i++) {
    let c = text.charCodeAt(i);
    // UTF-8 by hand, so no encoder (and no Buffer) is needed: a surrogate pair is one 4-byte code point.
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const low = text.charCodeAt(i + 1);
      if (low >= 0xdc00 && low <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (low - 0xdc00);
        i++;
      }
    } else if (c >= 0xd800 && c <= 0xdfff) {
      c = 0xfffd; // a lone surrogate encodes as U+FFFD, as TextEncoder does
    }
    if (c < 0x80) {
      mix(c);
    } else if (c < 0x800) {
      mix(0xc0 | (c >> 6));
      mix(0x80 | (c & 0x3f));
    } else if (c < 0x10000) {
      mix(0xe0 | (c >> 12));
      mix(0x80 | ((c >> 6) & 0x3f));
      mix(0x80 | (c & 0x3f));
    } else {
      mix(0xf0 | (c >> 18));
      mix(0x80 | ((c >> 12) & 0x3f));
      mix(0x80 | ((c >> 6) & 0x3f));
      mix(0x80 | (c & 0x3f));
    }
  }
  return h >>> 0;
}

/** The per-field hash of a job id hash (see the module comment), as an unsigned 32-bit integer. */
export function fieldHash(idHash: number, fieldIndex: number): number {
  let x = (idHash ^ Math.imul(fieldIndex + 1, 0x9e3779b9)) >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}
