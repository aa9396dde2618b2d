// The job view's change list: the job's newest audit entries (GET /api/v1/audit?jobId=), each with its
// time, action and who made it (an API key's role and index, the library, the config or the scheduler).

import { h } from './dom.js';
import { formatInstant } from './format.js';

/** How many entries the job view shows. */
export const AUDIT_SHOWN = 10;

const ACTION_LABEL = {
  'job.added': 'added',
  'job.modified': 'changed',
  'job.paused': 'paused',
  'job.resumed': 'resumed',
  'job.removed': 'removed',
  'job.run': 'run now',
  'job.backfilled': 'backfilled',
  'scheduler.paused': 'scheduler paused',
  'scheduler.resumed': 'scheduler resumed',
};

/** Who made a change, in words: "admin key 0", "loopback admin", "library", "config", "scheduler". */
export function actorText(actor) {
  if (actor === null || typeof actor !== 'object') return 'unknown';
  if (typeof actor.by === 'string') return actor.by;
  if (actor.via === 'loopback') return `loopback ${actor.role}`;
  return actor.keyIndex === undefined ? `${actor.role} key` : `${actor.role} key ${actor.keyIndex}`;
}

/** The fields an entry changed (for job.modified), from its before and after. */
export function changedFields(entry) {
  if (entry.before === null || entry.after === null) return [];
  const keys = new Set([...Object.keys(entry.before), ...Object.keys(entry.after)]);
  return [...keys].filter((k) => JSON.stringify(entry.before[k]) !== JSON.stringify(entry.after[k])).sort();
}

/** What a backfill did, in words: "3 fires (missed) from … to …". */
function backfillText(b) {
  return `${b.fires} fire${b.fires === 1 ? '' : 's'} (${b.only.join(', ')}) from ${formatInstant(b.from)} to ${formatInstant(b.to)}`;
}

/** The section; `entries` null when the server has no audit trail (an older server): nothing shown. */
export function auditList(entries) {
  if (entries === null) return null;
  return h(
    'section',
    { class: 'audit-list', attrs: { 'aria-labelledby': 'audit-title' } },
    h('h3', { id: 'audit-title', text: 'Changes' }),
    entries.length === 0
      ? h('p', { class: 'muted', text: 'No recorded changes.' })
      : h(
          'ol',
          {},
          ...entries.map((entry) => {
            const fields = changedFields(entry);
            return h(
              'li',
              {},
              h('time', { dateTime: entry.at, text: formatInstant(entry.at) }),
              ' ',
              h('strong', { text: ACTION_LABEL[entry.action] ?? entry.action }),
              ` by ${actorText(entry.actor)}`,
              entry.action === 'job.modified' && fields.length > 0 ? ` (${fields.join(', ')})` : '',
              entry.action === 'job.backfilled' && entry.after?.backfill ? ` (${backfillText(entry.after.backfill)})` : '',
            );
          }),
        ),
  );
}
