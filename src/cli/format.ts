/** Text for people: tables, times in a zone, countdowns and ages, durations. */

/** Columns padded to their widest cell, two spaces apart; the last column is not padded. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((header, i) => Math.max(header.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n') + '\n';
}

/** A span in words, largest two units: `4m 10s`, `2h 5m`, `3d 4h`, `0.7s`, `250ms`. */
export function span(ms: number): string {
  const abs = Math.abs(ms);
  if (abs < 1000) return `${Math.round(abs)}ms`;
  if (abs < 10_000) return `${(Math.floor(abs / 100) / 10).toString()}s`;
  const s = Math.floor(abs / 1000);
  const units: [string, number][] = [
    ['d', Math.floor(s / 86_400)],
    ['h', Math.floor(s / 3600) % 24],
    ['m', Math.floor(s / 60) % 60],
    ['s', s % 60],
  ];
  const first = units.findIndex(([, n]) => n > 0);
  return units
    .slice(first, first + 2)
    .filter(([, n]) => n > 0)
    .map(([unit, n]) => `${n}${unit}`)
    .join(' ');
}

/** `in 4m 10s` for a future instant, `5s ago` for a past one. */
export function relative(iso: string, nowMs: number): string {
  const delta = Date.parse(iso) - nowMs;
  if (Math.abs(delta) < 500) return 'now';
  return delta > 0 ? `in ${span(delta)}` : `${span(delta)} ago`;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/**
 * An instant as `2026-03-29 03:30:00 +02:00` in `zone` (default: this process's zone, TZ), with
 * milliseconds when it has any (a 0.7 s interval's fires differ below the second).
 */
export function timeIn(iso: string, zone?: string): string {
  const date = new Date(iso);
  const key = zone ?? '';
  let format = formatters.get(key);
  if (format === undefined) {
    format = new Intl.DateTimeFormat('en-CA', {
      ...(zone === undefined ? {} : { timeZone: zone }),
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
      timeZoneName: 'longOffset',
    });
    formatters.set(key, format);
  }
  const part = Object.fromEntries(format.formatToParts(date).map((p) => [p.type, p.value]));
  const ms = date.getUTCMilliseconds();
  const fraction = ms === 0 ? '' : `.${String(ms).padStart(3, '0')}`;
  // longOffset reads "GMT+02:00", or "GMT" at offset zero.
  const offset = (part.timeZoneName ?? 'GMT').replace('GMT', '') || '+00:00';
  return `${part.year}-${part.month}-${part.day} ${part.hour}:${part.minute}:${part.second}${fraction} ${offset}`;
}

/** A duration in ms as text, or `-` when there is none. */
export function duration(ms: number | null | undefined): string {
  return ms === null || ms === undefined ? '-' : span(ms);
}
