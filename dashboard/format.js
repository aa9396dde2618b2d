// Formatting of instants, countdowns and durations for display. Instants are shown in the browser's
// zone; the exact ISO instant stays in the `datetime`/`title` attributes.

const dateTime = new Intl.DateTimeFormat(undefined, {
  year: 'numeric',
  month: 'short',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});
export function formatInstant(iso) {
  return iso ? dateTime.format(new Date(iso)) : '—';
}

/**
 * The finest unit a list of fire times needs to tell them apart: `ms` when any has milliseconds (a 0.7 s
 * interval), `s` when any has seconds (a 6-field cron), else `min`. Times of one list share it.
 */
export function precisionOf(isoList) {
  let precision = 'min';
  for (const iso of isoList) {
    const ms = Date.parse(iso);
    if (ms % 1000 !== 0) return 'ms';
    if (ms % 60_000 !== 0) precision = 's';
  }
  return precision;
}

const PRECISION_FIELDS = {
  min: {},
  s: { second: '2-digit' },
  ms: { second: '2-digit', fractionalSecondDigits: 3 },
};

const fireFormats = new Map();

/** A cached Intl format of `options` plus the fields `precision` needs; null for an unknown zone. */
function fireFormat(options, precision) {
  const key = `${options.timeZone ?? ''}|${options.year ?? ''}|${precision}`;
  let format = fireFormats.get(key);
  if (format === undefined) {
    try {
      format = new Intl.DateTimeFormat(undefined, { ...options, ...PRECISION_FIELDS[precision] });
    } catch {
      // An unknown zone name (typed in the form).
      return null;
    }
    fireFormats.set(key, format);
  }
  return format;
}

const WEEKDAY_TIME = { weekday: 'short', year: 'numeric', month: 'short', day: '2-digit', hour: '2-digit', minute: '2-digit', timeZoneName: 'short' };

/**
 * With the weekday and zone: for fire time previews, where "which day" and DST matter. `precision`
 * (precisionOf the list) adds seconds or milliseconds when the schedule has them.
 */
export function formatFire(iso, precision = 'min') {
  return fireFormat(WEEKDAY_TIME, precision).format(new Date(iso));
}

/** "Mon 02:30 CET" in an IANA zone (a cron job's), for fire times; seconds or milliseconds as `precision` says. */
export function formatInZone(iso, zone, precision = 'min') {
  const format = fireFormat({ timeZone: zone, weekday: 'short', hour: '2-digit', minute: '2-digit', timeZoneName: 'short' }, precision);
  // An unknown zone name: show the zone only.
  return format === null ? zone : format.format(new Date(iso));
}

/** "in 4 min 05 s", "in 2 h 10 min", "in 3 d 4 h", "due", "5 s ago". */
export function formatCountdown(iso, nowMs) {
  if (!iso) return '—';
  const ms = Date.parse(iso) - nowMs;
  if (ms <= 0) return ms > -1000 ? 'due' : `${span(-ms)} ago`;
  return `in ${span(ms)}`;
}

function span(ms) {
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, '0')} s`;
  const hours = Math.floor(m / 60);
  if (hours < 48) return `${hours} h ${String(m % 60).padStart(2, '0')} min`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

/** "12 ms", "1.25 s", "3 min 20 s". */
export function formatDuration(ms) {
  if (ms === null || ms === undefined) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

export const OUTCOME_LABEL = {
  running: 'running',
  succeeded: 'succeeded',
  failed: 'failed',
  missed: 'missed',
  skipped: 'skipped',
  lost: 'lost',
  timed_out: 'timed out',
  cancelled: 'cancelled',
  excluded: 'excluded',
  paused: 'paused',
};
