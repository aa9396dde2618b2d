// Trigger specs as the API takes them, from a JobInfo's trigger (which also carries a description).

/** The trigger spec of a JobInfo trigger, for /schedules/preview or a PATCH: the description dropped. */
export function triggerSpec(trigger) {
  const spec = { ...trigger };
  delete spec.description;
  return spec;
}

/**
 * A compact technical summary: "cron 30 2 * * 1-5 (Europe/Berlin)", "interval 900 s", "date 2026-…",
 * "calendar every 2 months at 09:00:00 (UTC) from 2026-01-15", "or [cron …; interval …]".
 */
export function triggerSummary(trigger) {
  switch (trigger.type) {
    case 'cron':
      return `cron ${trigger.expression}${trigger.timezone ? ` (${trigger.timezone})` : ''}`;
    case 'interval':
      return `interval ${trigger.seconds} s${trigger.startDate ? ` from ${trigger.startDate}` : ''}`;
    case 'date':
      return `date ${trigger.runAt}`;
    case 'calendarInterval': {
      const units = ['years', 'months', 'weeks', 'days'].filter((u) => trigger[u] > 0).map((u) => `${trigger[u]} ${u}`);
      const pad = (n) => String(n ?? 0).padStart(2, '0');
      return `calendar every ${units.join(' ')} at ${pad(trigger.hour)}:${pad(trigger.minute)}:${pad(trigger.second)} (${trigger.timezone}) from ${trigger.startDate}`;
    }
    case 'or':
    case 'and':
      return `${trigger.type} [${trigger.triggers.map(triggerSummary).join('; ')}]`;
    default:
      return trigger.type;
  }
}

export const DST_NOTE = {
  shifted: 'Moved by a DST change: the local time does not exist that day, so it fires at the first instant after the gap.',
  repeated: 'A local time that occurs twice (DST ends): this is the second occurrence.',
};
