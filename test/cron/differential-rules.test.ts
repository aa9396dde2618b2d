/**
 * The day rules (L, nL, n#k, nW, LW, ?) against croner as the oracle: generated expressions in several
 * zones away from DST transitions, then every DST transition of 2026 and 2027 in each zone, with
 * expressions built to fire on the transition's own date through a day rule (its weekday's #k or L, its
 * day's W, L when it is the month's last day), so both DST policies are compared where they act.
 *
 * Documented differences, left out of the comparison and named here:
 * - croner refuses `L-n` and `LW` inside a list; we accept both (L-n is checked in day-rules.test.ts).
 * - croner accepts a weekday range before # (`1-5#2`); we refuse it (one weekday per item).
 * - a day field like `*\/2` counts as unrestricted in Vixie cron (it starts with `*`), so with a restricted
 *   other day field the two are ANDed; croner ORs them. Such expressions are not generated.
 * - DST: none here. With croner's `fixedTimeRule: 'no-wildcard'` (a job is fixed-time when its minute and
 *   hour fields have no `*`, which is cronie's rule and ours) croner 11 shifts a fixed-time job out of a
 *   gap, fires it once in an overlap, and fires a wildcard job at every real instant, as we do: the
 *   transition test compares every fire, near the transition included.
 */
import { Cron } from 'croner';
import { describe, expect, it } from 'vitest';
import { nextCronTime } from '../../src/cron/next.js';
import { parseCron } from '../../src/cron/pattern.js';
import { TimeZone } from '../../src/cron/zone.js';
import { prng } from './prng.js';

const ZONES = ['UTC', 'America/New_York', 'Europe/Berlin', 'Australia/Lord_Howe', 'America/Santiago', 'Asia/Kolkata'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
const NEAR_MS = 3 * 3_600_000;

function oracle(expr: string, zone: string): Cron {
  return new Cron(expr, { timezone: zone, domAndDow: false, fixedTimeRule: 'no-wildcard' });
}

/** Fires after `after`, ours and croner's, side by side, `count` of them (or until one runs out). */
function both(expr: string, zoneName: string, zone: TimeZone, after: number, count: number): { ours: (number | null)[]; theirs: (number | null)[] } {
  const p = parseCron(expr);
  const c = oracle(expr, zoneName);
  const ours: (number | null)[] = [];
  const theirs: (number | null)[] = [];
  let a: number | null = after;
  let b: number | null = after;
  for (let i = 0; i < count && a !== null && b !== null; i++) {
    a = nextCronTime(p, zone, a);
    b = c.nextRun(new Date(b))?.getTime() ?? null;
    ours.push(a);
    theirs.push(b);
  }
  return { ours, theirs };
}

function generated(rand: () => number): string {
  const int = (lo: number, hi: number): number => lo + Math.floor(rand() * (hi - lo + 1));
  const weekday = (): string => (rand() < 0.4 ? (DAYS[int(0, 6)] as string) : String(int(0, 7)));
  const domItem = (): string => {
    const r = rand();
    if (r < 0.3) return 'L';
    if (r < 0.7) return `${int(1, 31)}W`;
    return String(int(1, 28));
  };
  const dowItem = (): string => {
    const r = rand();
    if (r < 0.4) return `${weekday()}L`;
    if (r < 0.8) return `${weekday()}#${int(1, 5)}`;
    return weekday();
  };
  const list = (item: () => string): string => Array.from({ length: int(1, 3) }, item).join(',');
  const r = rand();
  let dom: string;
  let dow: string;
  if (r < 0.3) [dom, dow] = [list(domItem), rand() < 0.5 ? '*' : '?'];
  else if (r < 0.6) [dom, dow] = [rand() < 0.5 ? '*' : '?', list(dowItem)];
  else if (r < 0.7) [dom, dow] = ['LW', rand() < 0.5 ? '?' : list(dowItem)];
  else [dom, dow] = [list(domItem), list(dowItem)];
  const minute = ['0', String(int(0, 59)), '*/20', `${int(0, 29)},${int(30, 59)}`][int(0, 3)] as string;
  const hour = ['*', String(int(0, 23)), `${int(0, 11)}-${int(12, 23)}`, '*/6'][int(0, 3)] as string;
  const month = rand() < 0.7 ? '*' : `${int(1, 6)}-${int(7, 12)}`;
  return `${minute} ${hour} ${dom} ${month} ${dow}`;
}

describe('differential: day rules agree with croner', () => {
  const rand = prng(20260503);
  const expressions = Array.from({ length: 200 }, () => generated(rand));
  const STARTS = [Date.UTC(2026, 0, 1), Date.UTC(2026, 5, 15, 7, 30), Date.UTC(2027, 10, 30, 23)];

  it.each(ZONES)('on 200 generated expressions in %s, away from DST transitions', (zoneName) => {
    const zone = new TimeZone(zoneName);
    const near = (t: number | null): boolean => {
      if (t === null) return false;
      const prev = zone.previousTransition(t);
      const next = zone.nextTransition(t);
      return (prev !== null && t - prev < NEAR_MS) || (next !== null && next - t < NEAR_MS);
    };
    const mismatches: string[] = [];
    let compared = 0;
    for (const expr of expressions) {
      for (const start of STARTS) {
        const { ours, theirs } = both(expr, zoneName, zone, start, 6);
        for (let i = 0; i < ours.length; i++) {
          if (near(ours[i] ?? null) || near(theirs[i] ?? null)) break;
          compared++;
          if (ours[i] !== theirs[i]) {
            mismatches.push(`${expr} from ${new Date(start).toISOString()} fire ${i}: ours ${iso(ours[i])} croner ${iso(theirs[i])}`);
            break;
          }
        }
      }
    }
    expect(mismatches.slice(0, 10)).toEqual([]);
    expect(compared).toBeGreaterThan(2_500);
  });

  it.each(ZONES.filter((z) => z !== 'UTC' && z !== 'Asia/Kolkata'))('at every DST transition of 2026 and 2027 in %s', (zoneName) => {
    const zone = new TimeZone(zoneName);
    const transitions: number[] = [];
    for (let t = zone.nextTransition(Date.UTC(2026, 0, 1)); t !== null && t < Date.UTC(2028, 0, 1); t = zone.nextTransition(t)) transitions.push(t);
    expect(transitions.length).toBe(4);
    const mismatches: string[] = [];
    let compared = 0;
    let dstMarked = 0;
    for (const transition of transitions) {
      // The transition's local date, from the offset in force just before it.
      const local = new Date(transition + zone.offsetAt(transition - 1));
      const [y, m, d] = [local.getUTCFullYear(), local.getUTCMonth() + 1, local.getUTCDate()];
      const w = local.getUTCDay();
      const length = new Date(Date.UTC(y, m, 0)).getUTCDate();
      const hour = local.getUTCHours();
      const rules = [`* ${m} ${DAYS[w] as string}#${Math.ceil(d / 7)}`, `* ${m} ${w}#${Math.ceil(d / 7)}`];
      if (d + 7 > length) rules.push(`? ${m} ${DAYS[w] as string}L`);
      if (d === length) rules.push(`L ${m} ?`);
      if (w !== 0 && w !== 6) rules.push(`${d}W ${m} *`);
      const times = [`30 ${hour}`, `0 ${hour}`, `0,30 ${Math.max(0, hour - 1)}-${Math.min(23, hour + 1)}`, '*/15 *', `0 *`, `59 ${Math.max(0, hour - 1)}`];
      for (const rule of rules) {
        for (const time of times) {
          const expr = `${time} ${rule}`;
          const { ours, theirs } = both(expr, zoneName, zone, transition - 86_400_000, 12);
          compared++;
          if (ours.some((t) => t !== null && Math.abs(t - transition) <= 3_600_000)) dstMarked++;
          if (ours.join() !== theirs.join()) {
            mismatches.push(`${expr} at ${new Date(transition).toISOString()}: ours ${ours.map(iso).join(' ')} | croner ${theirs.map(iso).join(' ')}`);
          }
        }
      }
    }
    expect(mismatches.slice(0, 5)).toEqual([]);
    expect(compared).toBeGreaterThanOrEqual(4 * 2 * 6);
    // The comparison reached the transitions: fires within an hour of them were compared.
    expect(dstMarked).toBeGreaterThan(0);
  });
});

function iso(t: number | null | undefined): string {
  return t === null || t === undefined ? 'none' : new Date(t).toISOString();
}
