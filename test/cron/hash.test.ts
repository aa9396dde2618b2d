/**
 * Cron's H: values hashed from the job id by the documented formula (src/cron/hash.ts, README "Cron
 * expressions"). The hard-coded values below were computed outside this code base from the formula as
 * documented (TextEncoder bytes, BigInt arithmetic): any process, node or restart must get exactly these,
 * so a change to the formula fails here. Also: spread over 10 000 ids, ranges, H/n, and how the compiler
 * shares hashed patterns.
 */
import { describe, expect, it } from 'vitest';
import { CronCompiler } from '../../src/cron/compiler.js';
import { fieldHash, fnv1a32 } from '../../src/cron/hash.js';
import { parseCron, type CronPattern } from '../../src/cron/pattern.js';

/** The documented formula again, written independently with BigInt over the UTF-8 bytes. */
function reference(jobId: string, fieldIndex: number): number {
  const M = 2n ** 32n;
  let h = 0x811c9dc5n;
  for (const byte of new TextEncoder().encode(jobId)) h = ((h ^ BigInt(byte)) * 0x01000193n) % M;
  let x = h ^ ((BigInt(fieldIndex + 1) * 0x9e3779b9n) % M);
  x ^= x >> 16n;
  x = (x * 0x85ebca6bn) % M;
  x ^= x >> 13n;
  x = (x * 0xc2b2ae35n) % M;
  x ^= x >> 16n;
  return Number(x);
}

const bitsOf = (mask: number, base = 0): number[] => {
  const out: number[] = [];
  for (let b = 0; b < 31; b++) if ((mask & (1 << b)) !== 0) out.push(b + base);
  return out;
};
const minutes = (p: CronPattern): number[] => [...bitsOf(p.minLo), ...bitsOf(p.minHi, 30)];
const seconds = (p: CronPattern): number[] => [...bitsOf(p.secLo), ...bitsOf(p.secHi, 30)];
const hours = (p: CronPattern): number[] => bitsOf(p.hours);

describe('the H hash', () => {
  it('is FNV-1a 32-bit of the UTF-8 job id (published test vectors)', () => {
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    expect(fnv1a32('foobar')).toBe(0xbf9cf968);
  });

  it.each([
    ['backup', 0x32afa6df, [1994886774, 3188920768, 4087765684, 309815699, 4060076564, 3135414781]],
    ['report-1', 0x637ab739, [3281213271, 2151116033, 1016382508, 369702456, 3998155971, 433350095]],
    ['nightly-cleanup', 0x585d74d3, [776539383, 1628562813, 3840137371, 1274589689, 2661027256, 226622557]],
    ['tenant:42.sync', 0x450410b8, [1271871482, 814724828, 1829032374, 2064287257, 3166099632, 3759009264]],
    ['é', 0x1e9de8c1, [471919563, 3501833630, 1643450813, 3583429695, 983551711, 1675556910]],
  ] as const)('gives "%s" the values computed from the documented formula', (id, idHash, perField) => {
    expect(fnv1a32(id)).toBe(idHash);
    expect([0, 1, 2, 3, 4, 5].map((f) => fieldHash(idHash, f))).toEqual(perField);
  });

  it('matches the independent reference for 2 000 ids, non-ASCII and surrogate pairs included', () => {
    const ids = Array.from({ length: 2_000 }, (_, i) => `job-${i}-${String.fromCodePoint(0x41 + (i % 0x2000) * 7)}${i % 3 === 0 ? '😀' : ''}`);
    const mismatches = ids.filter((id) => [0, 1, 2, 3, 4, 5].some((f) => fieldHash(fnv1a32(id), f) !== reference(id, f)));
    expect(mismatches).toEqual([]);
  });

  it('puts "H H(0-5) * * *" at one fixed time per job: backup at 04:28, report-1 at 04:53', () => {
    const backup = parseCron('H H(0-5) * * *', 'backup');
    expect([minutes(backup), hours(backup)]).toEqual([[3188920768 % 60], [4087765684 % 6]]);
    expect([minutes(backup), hours(backup)]).toEqual([[28], [4]]);
    const report = parseCron('H H(0-5) * * *', 'report-1');
    expect([minutes(report), hours(report)]).toEqual([[53], [4]]);
    // Parsed again (another process, node or restart computes the same): the same values.
    expect(parseCron('H H(0-5) * * *', 'backup')).toEqual(backup);
  });

  it('spreads 10 000 job ids evenly within each range', () => {
    const byMinute = new Array<number>(60).fill(0);
    const byHour = new Array<number>(6).fill(0);
    const byDay = new Array<number>(32).fill(0);
    const byWeekday = new Array<number>(7).fill(0);
    for (let i = 0; i < 10_000; i++) {
      const p = parseCron('H H(0-5) H * H', `job-${i}`);
      const [m] = minutes(p);
      const [h] = hours(p);
      const [d] = bitsOf(p.days, 1);
      const [w] = bitsOf(p.weekdays);
      byMinute[m as number] = (byMinute[m as number] ?? 0) + 1;
      byHour[h as number] = (byHour[h as number] ?? 0) + 1;
      byDay[d as number] = (byDay[d as number] ?? 0) + 1;
      byWeekday[w as number] = (byWeekday[w as number] ?? 0) + 1;
    }
    // Expected 167 per minute, 1 667 per hour, 357 per day, 1 429 per weekday: each within a wide band.
    expect(Math.min(...byMinute)).toBeGreaterThan(110);
    expect(Math.max(...byMinute)).toBeLessThan(230);
    expect(byHour.every((n) => n > 1_450 && n < 1_900)).toBe(true);
    // H alone in day-of-month is 1-28 (every month has them), never 29-31 or 0.
    expect(byDay.slice(1, 29).every((n) => n > 270 && n < 450)).toBe(true);
    expect([byDay[0], byDay[29], byDay[30], byDay[31]]).toEqual([0, 0, 0, 0]);
    expect(byWeekday.every((n) => n > 1_250 && n < 1_650)).toBe(true);
  });

  it('gives the fields of one job different hashes (H H is not minute = hour)', () => {
    let same = 0;
    for (let i = 0; i < 1_000; i++) {
      const p = parseCron('H H * * *', `id-${i}`);
      if ((minutes(p)[0] as number) % 24 === hours(p)[0]) same++;
    }
    expect(same).toBeLessThan(100); // 1 in 24 by chance: about 42
  });

  it('H/n is every n starting at hash mod n (Jenkins); H(a-b)/n starts at a + hash mod n', () => {
    const x = fieldHash(fnv1a32('backup'), 1);
    const start = x % 15;
    expect(minutes(parseCron('H/15 * * * *', 'backup'))).toEqual([start, start + 15, start + 30, start + 45]);
    const h = fieldHash(fnv1a32('backup'), 2);
    const from = 8 + (h % 3);
    expect(hours(parseCron('0 H(8-17)/3 * * *', 'backup'))).toEqual([from, from + 3, from + 6].filter((v) => v <= 17));
    const s = fieldHash(fnv1a32('backup'), 0);
    expect(seconds(parseCron('H/20 * * * * *', 'backup'))).toEqual([s % 20, (s % 20) + 20, (s % 20) + 40]);
    for (let i = 0; i < 500; i++) {
      const list = minutes(parseCron('H/7 * * * *', `j${i}`));
      expect(list[0]).toBeLessThan(7);
      expect(list.every((v, k) => v === (list[0] as number) + 7 * k)).toBe(true);
    }
  });

  it('H(a-b) stays within a-b and uses the same field hash', () => {
    for (let i = 0; i < 500; i++) {
      const id = `k${i}`;
      const [m] = minutes(parseCron('H(10-19) * * * *', id));
      expect(m).toBe(10 + (reference(id, 1) % 10));
    }
  });

  it('the same field index with and without a seconds field', () => {
    expect(minutes(parseCron('H 3 * * *', 'backup'))).toEqual(minutes(parseCron('0 H 3 * * *', 'backup')));
  });

  it.each([
    ['H(5-1) * * * *', /"H\(5-1\)" whose range starts after its end/],
    ['H(0-70) * * * *', /has 70, out of range 0-59/],
    ['H(0-5)/9 * * * *', /whose step 9 is larger than its range 0-5/],
    ['H/0 * * * *', /has step 0, out of range 1-60/],
    ['H5 * * * *', /H is written H, H\(a-b\), H\/n or H\(a-b\)\/n/],
    ['0 0 * * H(1-5)#2', /one weekday per item/],
  ])('refuses "%s"', (expr, message) => {
    expect(() => parseCron(expr, 'job')).toThrow(message);
  });

  it('does not mistake day names for H (THU has an H)', () => {
    expect(parseCron('0 0 * * THU').weekdays).toBe(1 << 4);
  });
});

describe('CronCompiler with H', () => {
  it('shares a hashed pattern by expression and job id, a plain one by expression alone', () => {
    const compiler = new CronCompiler();
    const a = compiler.share('H H * * *', 'a');
    const a2 = compiler.share('H H * * *', 'a');
    const b = compiler.share('H H * * *', 'b');
    expect(a2).toBe(a);
    expect(b).not.toBe(a);
    expect(a.hashed).toBe(true);
    expect(compiler.share('0 0 * * *', 'a')).toBe(compiler.share('0 0 * * *', 'b'));
    expect(compiler.size).toBe(3);
    compiler.unshare(a);
    compiler.unshare(a2);
    compiler.release('H H * * *', 'b');
    expect(compiler.size).toBe(1);
  });

  it('never answers from the last shared entry for another job id (the fast path)', () => {
    const compiler = new CronCompiler();
    const first = compiler.acquire('H * * * *', 'x');
    const second = compiler.acquire('H * * * *', 'y');
    expect(minutes(first)).toEqual([reference('x', 1) % 60]);
    expect(minutes(second)).toEqual([reference('y', 1) % 60]);
  });

  it('refuses H without a job id, saying to pass jobId', () => {
    expect(() => new CronCompiler().acquire('H 2 * * *')).toThrow(/no job id was given.*pass jobId/);
  });
});
