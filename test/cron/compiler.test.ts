/** CronCompiler: one parsed pattern per expression with a reference count, cached zones, and the next-time memo. */
import { describe, expect, it, vi } from 'vitest';
import { CronCompiler } from '../../src/cron/compiler.js';
import * as next from '../../src/cron/next.js';
import { parseCron, type CronPattern } from '../../src/cron/pattern.js';
import type { TimeZone } from '../../src/cron/zone.js';

// Count the real computations behind the memo.
vi.mock('../../src/cron/next.js', async (importOriginal) => {
  const actual = await importOriginal<typeof next>();
  return { ...actual, nextCronTime: vi.fn(actual.nextCronTime) };
});
const computations = vi.mocked(next.nextCronTime);
const nextCronTime = next.nextCronTime;

const T = Date.UTC(2026, 5, 1, 12);

describe('CronCompiler sharing', () => {
  it('shares one pattern per trimmed expression and frees it with its last user', () => {
    const compiler = new CronCompiler();
    const a = compiler.acquire('0 0 * * *');
    const b = compiler.acquire(' 0 0 * * *\t');
    expect(a).toBe(b);
    expect(compiler.size).toBe(1);
    compiler.release('0 0 * * *');
    expect(compiler.size).toBe(1);
    compiler.release(' 0 0 * * * ');
    expect(compiler.size).toBe(0);
    const c = compiler.acquire('0 0 * * *');
    expect(c).not.toBe(a);
    expect(c).toEqual(a);
  });

  it('counts share and unshare like acquire and release', () => {
    const compiler = new CronCompiler();
    const shared = compiler.share('*/5 * * * *');
    expect(compiler.acquire('*/5 * * * *')).toBe(shared.pattern);
    expect(shared.refs).toBe(2);
    compiler.unshare(shared);
    expect(compiler.size).toBe(1);
    compiler.release('*/5 * * * *');
    expect(compiler.size).toBe(0);
    // A stale holder giving back again does not touch a newer entry for the same expression.
    const fresh = compiler.share('*/5 * * * *');
    compiler.unshare(shared);
    expect(compiler.size).toBe(1);
    compiler.unshare(fresh);
    expect(compiler.size).toBe(0);
  });

  it('keeps different expressions apart, even when they mean the same', () => {
    const compiler = new CronCompiler();
    const a = compiler.acquire('0 0 * * *');
    const b = compiler.acquire('@daily');
    expect(a).not.toBe(b);
    expect(compiler.size).toBe(2);
  });

  it('holds nothing for an invalid expression and ignores releasing an unknown one', () => {
    const compiler = new CronCompiler();
    expect(() => compiler.acquire('61 * * * *')).toThrow(/minute field "61" is out of range 0-59/);
    expect(compiler.size).toBe(0);
    compiler.release('1 2 3 4 5');
    expect(compiler.size).toBe(0);
  });

  it('shares nothing between two compilers (no module state)', () => {
    const one = new CronCompiler();
    const two = new CronCompiler();
    expect(one.acquire('0 0 * * *')).not.toBe(two.acquire('0 0 * * *'));
    expect(one.zone('Europe/Berlin')).not.toBe(two.zone('Europe/Berlin'));
    one.release('0 0 * * *');
    expect(one.size).toBe(0);
    expect(two.size).toBe(1);
  });

  it('frees 10 000 distinct patterns when their users release them', () => {
    const compiler = new CronCompiler();
    const expressions = Array.from({ length: 10_000 }, (_, i) => `${i % 60} ${Math.floor(i / 60) % 24} * * ${i % 7},${(i + 3) % 7}`);
    const unique = new Set(expressions);
    for (const e of expressions) compiler.acquire(e);
    expect(compiler.size).toBe(unique.size);
    for (const e of expressions) compiler.release(e);
    expect(compiler.size).toBe(0);
  });

  it('caches zones by name and rejects unknown ones with the timezone path', () => {
    const compiler = new CronCompiler();
    expect(compiler.zone('America/New_York')).toBe(compiler.zone('America/New_York'));
    expect(() => compiler.zone('Mars/Olympus_Mons')).toThrow(expect.objectContaining({ name: 'CronError', kind: 'timezone', input: 'Mars/Olympus_Mons' }));
  });

  it('describes each shared pattern once', () => {
    const compiler = new CronCompiler();
    const shared = compiler.share('0 9,17 * * 1-5');
    expect(compiler.describeShared(shared)).toBe('at 09:00 and 17:00 on Monday to Friday');
    expect(compiler.describe(shared.pattern)).toBe(compiler.describeShared(shared));
    expect(compiler.describe(parseCron('*/15 * * * *'))).toBe('every 15 minutes');
  });
});

describe('CronCompiler.next memo', () => {
  it('computes once for a million jobs on one expression asking in the same second', () => {
    const compiler = new CronCompiler();
    const ny = compiler.zone('America/New_York');
    const shared = compiler.share('0 0 * * *');
    computations.mockClear();
    for (let i = 0; i < 1_000_000; i++) compiler.nextShared(shared, ny, T + (i % 1000));
    expect(computations).toHaveBeenCalledTimes(1);
    expect(compiler.next(shared.pattern, ny, T + 999)).toBe(Date.UTC(2026, 5, 2, 4));
    expect(computations).toHaveBeenCalledTimes(1);
  });

  it('keeps one memo per (pattern, zone), so two zones do not evict each other', () => {
    const compiler = new CronCompiler();
    const p = compiler.acquire('0 0 * * *');
    const ny = compiler.zone('America/New_York');
    const berlin = compiler.zone('Europe/Berlin');
    computations.mockClear();
    for (let i = 0; i < 1000; i++) {
      expect(compiler.next(p, ny, T + i)).toBe(Date.UTC(2026, 5, 2, 4));
      expect(compiler.next(p, berlin, T + i)).toBe(Date.UTC(2026, 5, 1, 22));
    }
    expect(computations).toHaveBeenCalledTimes(2);
  });

  it('recomputes when the second changes and always agrees with nextCronTime', () => {
    const compiler = new CronCompiler();
    const zones = ['UTC', 'America/New_York', 'Australia/Lord_Howe'].map((z) => compiler.zone(z));
    const patterns = ['*/7 * * * * *', '0 * * * *', '30 2 * * *', '0 0 1 * *'].map((e) => compiler.acquire(e));
    let x = 12345;
    for (let i = 0; i < 3000; i++) {
      x = (x * 1103515245 + 12345) % 2147483648;
      const after = Date.UTC(2026, 0, 1) + (x % (400 * 86_400)) * 1000 + (i % 3) * 333.5;
      const p = patterns[i % patterns.length] as CronPattern;
      const zone = zones[i % zones.length] as TimeZone;
      expect(compiler.next(p, zone, after)).toBe(nextCronTime(p, zone, after));
      expect(compiler.next(p, zone, after + 1000)).toBe(nextCronTime(p, zone, after + 1000));
    }
  });

  it('still answers for a pattern it no longer holds, without a memo', () => {
    const compiler = new CronCompiler();
    const p = compiler.acquire('0 0 * * *');
    compiler.release('0 0 * * *');
    const utc = compiler.zone('UTC');
    expect(compiler.next(p, utc, T)).toBe(Date.UTC(2026, 5, 2));
    expect(compiler.next(parseCron('0 0 * * *'), utc, T)).toBe(Date.UTC(2026, 5, 2));
    expect(compiler.size).toBe(0);
  });
});
