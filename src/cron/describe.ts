/**
 * Short English for a cron pattern, for JobInfo and the dashboard: "every 15 minutes",
 * "at 02:30 every day", "at 09:00 and 17:00 on Monday to Friday".
 */
import type { CronPattern } from './pattern.js';

const DAY_NAMES = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTH_NAMES = ['', 'January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

function values(lo: number, hi: number, min: number, max: number, split: boolean): number[] {
  const out: number[] = [];
  for (let v = min; v <= max; v++) {
    const set = !split || v < 30 ? (lo & (1 << v)) !== 0 : (hi & (1 << (v - 30))) !== 0;
    if (set) out.push(v);
  }
  return out;
}

/** The step when values are 0, n, 2n ... up to the max, else 0. */
function uniformStep(list: number[], size: number): number {
  if (list.length < 2 || list[0] !== 0) return 0;
  const step = (list[1] as number) - (list[0] as number);
  if (size % step !== 0 || list.length !== size / step) return 0;
  return list.every((v, i) => v === i * step) ? step : 0;
}

function joinAnd(items: string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/** Consecutive runs become ranges: [1,2,3,4,5] -> "Monday to Friday". */
function ranges(list: number[], name: (v: number) => string): string {
  const parts: string[] = [];
  for (let i = 0; i < list.length;) {
    let j = i;
    while (j + 1 < list.length && (list[j + 1] as number) === (list[j] as number) + 1) j++;
    const a = list[i] as number;
    const b = list[j] as number;
    parts.push(j - i >= 2 ? `${name(a)} to ${name(b)}` : j === i ? name(a) : `${name(a)} and ${name(b)}`);
    i = j + 1;
  }
  return joinAnd(parts);
}

const pad = (n: number): string => String(n).padStart(2, '0');

export function describeCron(p: CronPattern): string {
  const seconds = values(p.secLo, p.secHi, 0, 59, true);
  const minutes = values(p.minLo, p.minHi, 0, 59, true);
  const hours = values(p.hours, 0, 0, 23, false);
  const days = values(p.days, 0, 1, 31, false);
  const months = values(p.months, 0, 1, 12, false);
  const weekdays = values(p.weekdays, 0, 0, 6, false);

  let time: string;
  const everySecond = seconds.length === 60;
  const secondStep = uniformStep(seconds, 60);
  const minuteStep = uniformStep(minutes, 60);
  if (everySecond && minutes.length === 60 && hours.length === 24) time = 'every second';
  else if (secondStep > 1 && minutes.length === 60 && hours.length === 24) time = `every ${secondStep} seconds`;
  else if (seconds.length === 1 && seconds[0] === 0 && minutes.length === 60 && hours.length === 24) time = 'every minute';
  else if (seconds.length === 1 && seconds[0] === 0 && minuteStep > 1 && hours.length === 24) time = `every ${minuteStep} minutes`;
  else if (seconds.length === 1 && seconds[0] === 0 && minutes.length === 1 && hours.length === 24) time = minutes[0] === 0 ? 'every hour' : `every hour at minute ${minutes[0]}`;
  else if (seconds.length === 1 && minutes.length * hours.length <= 4) {
    const sec = seconds[0] === 0 ? '' : `:${pad(seconds[0] as number)}`;
    const times: string[] = [];
    for (const h of hours) for (const m of minutes) times.push(`${pad(h)}:${pad(m)}${sec}`);
    time = `at ${joinAnd(times)}`;
  } else {
    const parts: string[] = [];
    if (!(seconds.length === 1 && seconds[0] === 0)) parts.push(`at second ${ranges(seconds, String)}`);
    parts.push(minutes.length === 60 ? 'every minute' : `at minute ${ranges(minutes, String)}`);
    if (hours.length !== 24) parts.push(`past hour ${ranges(hours, String)}`);
    time = parts.join(' ');
  }

  const dayParts: string[] = [];
  const domText = p.domRestricted ? `on day ${ranges(days, String)} of the month` : '';
  const dowText = p.dowRestricted ? `on ${weekdays.length === 5 && ranges(weekdays, String) === '1 to 5' ? 'weekdays' : ranges(weekdays, (d) => DAY_NAMES[d] as string)}` : '';
  if (domText !== '' && dowText !== '') dayParts.push(`${domText} or ${dowText.slice(3)}`);
  else if (domText !== '') dayParts.push(domText);
  else if (dowText !== '') dayParts.push(dowText);
  if (months.length !== 12) dayParts.push(`in ${ranges(months, (m) => MONTH_NAMES[m] as string)}`);
  if (dayParts.length === 0) return time.startsWith('at ') ? `${time} every day` : time;
  return `${time} ${dayParts.join(' ')}`;
}
