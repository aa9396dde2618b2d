/**
 * Our cron engine against croner (the oracle) over many generated expressions, zones and start instants.
 * Fires within 3 hours of a DST transition are not compared: there the two DST policies may legitimately
 * differ, and ours is pinned down by the named cases in dst.test.ts.
 */
import { Cron } from 'croner';
import { describe, expect, it } from 'vitest';
import { nextCronTime } from '../../src/cron/next.js';
import { parseCron } from '../../src/cron/pattern.js';
import { TimeZone } from '../../src/cron/zone.js';
import { prng } from './prng.js';

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

function field(rand: () => number, min: number, max: number, names?: string[], base = 0): string {
  const int = (lo: number, hi: number): number => lo + Math.floor(rand() * (hi - lo + 1));
  const name = (v: number): string => (names !== undefined && rand() < 0.3 ? (names[v - base] as string) : String(v));
  const r = rand();
  if (r < 0.3) return '*';
  if (r < 0.5) return name(int(min, max));
  if (r < 0.6) return `*/${int(2, Math.max(2, Math.floor((max - min) / 2)))}`;
  if (r < 0.75) {
    const a = int(min, max);
    return `${name(a)}-${name(int(a, max))}`;
  }
  if (r < 0.8) {
    const a = int(min, max);
    return `${a}-${int(a, max)}/${int(1, 5)}`;
  }
  if (r < 0.85) return `${name(int(min, max))}/${int(2, Math.min(10, max - min))}`;
  const items = new Set<number>();
  const n = int(2, 4);
  for (let i = 0; i < n; i++) items.add(int(min, max));
  return [...items].map(name).join(',');
}

function expression(rand: () => number): string {
  const parts = [field(rand, 0, 59), field(rand, 0, 23), field(rand, 1, 28), field(rand, 1, 12, MONTHS, 1), field(rand, 0, 6, DAYS, 0)];
  if (rand() < 0.25) parts.unshift(field(rand, 0, 59));
  return parts.join(' ');
}

/** Croner rejects "a/n" (from a to the end, every n); the same schedule spelled "a-max/n". */
function forCroner(expr: string): string {
  const f = expr.split(' ');
  const max = f.length === 6 ? [59, 59, 23, 31, 12, 6] : [59, 23, 31, 12, 6];
  return f
    .map((field, i) =>
      field
        .split(',')
        .map((item) => item.replace(/^(\w+)\/(\d+)$/, `$1-${max[i] as number}/$2`))
        .join(','),
    )
    .join(' ');
}

const ZONES = ['UTC', 'America/New_York', 'Europe/Berlin', 'Asia/Kolkata', 'Australia/Lord_Howe', 'Asia/Tokyo'];
const STARTS = [Date.UTC(2026, 0, 1), Date.UTC(2026, 2, 7, 12), Date.UTC(2026, 9, 31, 18, 17, 3), Date.UTC(2027, 11, 31, 23, 59, 59, 500)];
const NEAR_MS = 3 * 3_600_000;

describe('differential: our cron engine agrees with croner away from DST transitions', () => {
  const rand = prng(20261128);
  // A day field like "*/2" counts as unrestricted in Vixie cron (it starts with "*"), so with a restricted
  // other day field the two are ANDed; croner treats only a bare "*" as unrestricted and ORs them. We follow
  // Vixie, the cron users know, and leave out the expressions where that makes a difference.
  const starStep = (e: string): boolean => {
    const f = e.split(' ');
    const [dom, dow] = (f.length === 6 ? [f[3], f[5]] : [f[2], f[4]]) as [string, string];
    return (dom.startsWith('*/') && dow !== '*') || (dow.startsWith('*/') && dom !== '*');
  };
  const expressions: string[] = [];
  while (expressions.length < 320) {
    const e = expression(rand);
    if (!starStep(e)) expressions.push(e);
  }

  it.each(ZONES)('agrees on 320 generated expressions in %s', (zoneName) => {
    const zone = new TimeZone(zoneName);
    const mismatches: string[] = [];
    let compared = 0;
    const nearTransition = (t: number): boolean => {
      const prev = zone.previousTransition(t);
      const next = zone.nextTransition(t);
      return (prev !== null && t - prev < NEAR_MS) || (next !== null && next - t < NEAR_MS);
    };
    for (const expr of expressions) {
      const pattern = parseCron(expr);
      // domAndDow: false is croner's default, spelled out: day-of-month OR day-of-week, as in Vixie cron.
      const oracle = new Cron(forCroner(expr), { timezone: zoneName, domAndDow: false });
      for (const start of STARTS) {
        let after = start;
        for (let step = 0; step < 8; step++) {
          const ours = nextCronTime(pattern, zone, after);
          const theirs = oracle.nextRun(new Date(after))?.getTime() ?? null;
          if (ours === null || theirs === null) {
            if (ours !== theirs) mismatches.push(`${expr} after ${new Date(after).toISOString()}: ours ${ours} croner ${theirs}`);
            break;
          }
          if (!nearTransition(ours) && !nearTransition(theirs) && !nearTransition(after)) {
            compared++;
            if (ours !== theirs) {
              mismatches.push(`${expr} after ${new Date(after).toISOString()}: ours ${new Date(ours).toISOString()} croner ${new Date(theirs).toISOString()}`);
            }
          }
          after = ours;
        }
      }
    }
    expect(mismatches.slice(0, 10)).toEqual([]);
    expect(compared).toBeGreaterThan(4_000);
  });
});
