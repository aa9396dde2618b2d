// Job health in the dashboard: the badge of a state (text and colour, the reason as its title), the
// values of the health filter (?health= of GET /api/v1/jobs), and the health block of the job view.

import { h } from './dom.js';
import { formatInstant } from './format.js';

/** The health filter's values, as the select offers them and the address keeps them. */
export const HEALTH_FILTERS = ['failing,overdue', 'failing', 'overdue', 'paused', 'pending', 'ok'];

const HEALTH_LABEL = { ok: 'ok', failing: 'failing', overdue: 'overdue', paused: 'paused', pending: 'pending' };

/** A badge for a health state: its word is always shown (colour is never the only cue); the reason is its title. */
export function healthBadge(health) {
  if (health === undefined || health === null) return null;
  const state = HEALTH_LABEL[health.state] === undefined ? 'pending' : health.state;
  const failures = state === 'failing' && health.consecutiveFailures > 1 ? ` ×${health.consecutiveFailures}` : '';
  return h('span', {
    class: `badge health health-${state}`,
    text: `${HEALTH_LABEL[state]}${failures}`,
    title: health.reason ?? '',
    dataset: { health: state },
  });
}

/** The job view's health block: state, since, reason, last success and failure, consecutive failures. */
export function healthBlock(health) {
  if (health === undefined || health === null) return null;
  const row = (label, value) => [h('dt', { text: label }), h('dd', {}, value)];
  const when = (iso) => (iso === null || iso === undefined ? 'never' : h('time', { dateTime: iso, text: formatInstant(iso) }));
  return h(
    'section',
    { class: 'health-block', attrs: { 'aria-labelledby': 'health-title' } },
    h('h3', { id: 'health-title' }, 'Health ', healthBadge(health)),
    h('p', { class: 'health-reason', text: health.reason }),
    h(
      'dl',
      { class: 'health-facts' },
      row('Since', health.since === null ? '—' : when(health.since)),
      row('Last success', when(health.lastSuccessAt)),
      row('Last failure', when(health.lastFailureAt)),
      row('Consecutive failures', String(health.consecutiveFailures)),
    ),
  );
}
