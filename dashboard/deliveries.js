// Notification deliveries as a table (GET /api/v1/notifications/deliveries, newest first), shared by the
// notifications view and the job view: status, event, job, target, attempts, the last answer (HTTP status
// or error) and the times.

import { h } from './dom.js';
import { formatInstant } from './format.js';

/** Pending is in progress (retried with backoff); failed has given up. The word is always shown. */
const STATUS_CLASS = { delivered: 'outcome-succeeded', pending: 'outcome-running', failed: 'outcome-failed' };

export function deliveryStatusBadge(status) {
  return h('span', { class: `outcome ${STATUS_CLASS[status] ?? ''}`, text: status, dataset: { status } });
}

/** "HTTP 500", "HTTP 204", the error of the last attempt, or "—" before the first one. */
function lastAnswer(delivery) {
  if (delivery.lastError !== null) return h('span', { class: 'error', text: delivery.lastError });
  return delivery.lastStatus === null ? '—' : `HTTP ${delivery.lastStatus}`;
}

function when(iso) {
  return iso === null ? '—' : h('time', { dateTime: iso, text: formatInstant(iso) });
}

/**
 * A table of deliveries. `showJob`/`showTarget` add those columns (the job view omits its own job);
 * `onOpenJob(id)` makes the job a button that opens its view.
 */
export function deliveriesTable(items, { showJob = true, showTarget = true, onOpenJob = null, caption = 'Deliveries, newest first' } = {}) {
  const columns = [
    'Queued',
    'Status',
    'Event',
    ...(showJob ? ['Job'] : []),
    ...(showTarget ? ['Target'] : []),
    'Attempts',
    'Last answer',
    'Last attempt',
    'Delivered / next',
  ];
  const cell = (label, ...content) => h('td', { attrs: { 'data-label': label } }, ...content);
  const rows = items.map((d) =>
    h(
      'tr',
      { dataset: { deliveryId: String(d.id) } },
      cell('Queued', when(d.createdAt)),
      cell('Status', deliveryStatusBadge(d.status)),
      cell('Event', h('code', { text: d.event })),
      showJob
        ? cell('Job', onOpenJob === null ? d.jobId : h('button', { type: 'button', class: 'link', text: d.jobId, on: { click: () => onOpenJob(d.jobId) } }))
        : null,
      showTarget ? cell('Target', d.targetId) : null,
      h('td', { class: 'num', attrs: { 'data-label': 'Attempts' }, text: String(d.attempts) }),
      cell('Last answer', lastAnswer(d)),
      cell('Last attempt', when(d.lastAttemptAt)),
      cell('Delivered / next', d.status === 'delivered' ? when(d.deliveredAt) : d.status === 'pending' ? ['next ', when(d.nextAttemptAt)] : 'gave up'),
    ),
  );
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'runs deliveries' },
      h('caption', { class: 'visually-hidden', text: caption }),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          columns.map((t) => h('th', { scope: 'col', text: t })),
        ),
      ),
      h('tbody', {}, rows),
    ),
  );
}
