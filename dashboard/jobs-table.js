// The jobs table: one page of GET /api/v1/jobs at a time (cursor pagination, server-side sort and
// filters, so 10 000 jobs cost no more than 50), live countdowns, and row updates in place.

import { get } from './api.js';
import { fill, h } from './dom.js';
import { formatCountdown, formatDuration, formatInstant, OUTCOME_LABEL } from './format.js';
import { healthBadge } from './health.js';

const SORT_DIRECTION = { id: 'ascending', nextRunTime: 'ascending', lastRun: 'descending' };

export class JobsTable {
  /**
   * `onOpen(id)` opens a job's details; `onAction(action, job)` runs pause|resume|run|remove;
   * `isAdmin()` decides whether action buttons are shown.
   */
  constructor({ table, empty, pageInfo, prev, next, onOpen, onAction, isAdmin }) {
    this.table = table;
    this.tbody = table.tBodies[0];
    this.empty = empty;
    this.pageInfo = pageInfo;
    this.prev = prev;
    this.next = next;
    this.onOpen = onOpen;
    this.onAction = onAction;
    this.isAdmin = isAdmin;
    this.query = { q: '', state: '', health: '', sort: 'id', limit: 50 };
    /** Cursors of the pages visited: cursors[i] loads page i (null: the first page). */
    this.cursors = [null];
    this.page = 0;
    this.nextCursor = null;
    this.rows = new Map();
    this.total = null;
    this.firstRender = true;
    this.loadSeq = 0;

    for (const th of table.tHead.querySelectorAll('th[data-sort]')) {
      th.querySelector('button').addEventListener('click', () => this.setQuery({ sort: th.dataset.sort }));
    }
    prev.addEventListener('click', () => this.go(this.page - 1));
    next.addEventListener('click', () => this.go(this.page + 1));
    this.renderSortState();
  }

  get ids() {
    return this.rows.keys();
  }

  has(id) {
    return this.rows.has(id);
  }

  /** Changes filters or sort and goes back to the first page. */
  setQuery(changes) {
    Object.assign(this.query, changes);
    this.cursors = [null];
    this.page = 0;
    this.renderSortState();
    return this.load();
  }

  go(page) {
    if (page < 0 || page >= this.cursors.length) return undefined;
    this.page = page;
    return this.load();
  }

  /** Fetches the current page again (same cursor) and redraws it. */
  async load() {
    const seq = ++this.loadSeq;
    const params = new URLSearchParams({ limit: String(this.query.limit), sort: this.query.sort });
    if (this.query.q !== '') params.set('q', this.query.q);
    if (this.query.state !== '') params.set('state', this.query.state);
    if (this.query.health !== '') params.set('health', this.query.health);
    const cursor = this.cursors[this.page];
    if (cursor !== null && cursor !== undefined) params.set('cursor', cursor);
    this.table.setAttribute('aria-busy', 'true');
    try {
      const page = await get(`jobs?${params}`);
      // A slower, older answer must not overwrite a newer one (typing in the search box).
      if (seq !== this.loadSeq) return;
      this.nextCursor = page.nextCursor;
      this.cursors.length = this.page + 1;
      if (page.nextCursor !== null) this.cursors.push(page.nextCursor);
      this.render(page.items);
    } finally {
      if (seq === this.loadSeq) this.table.removeAttribute('aria-busy');
    }
  }

  render(jobs) {
    const focus = this.focusedControl();
    this.rows.clear();
    const fragment = document.createDocumentFragment();
    for (const job of jobs) {
      const row = this.row(job);
      this.rows.set(job.id, row);
      fragment.append(row);
    }
    this.tbody.replaceChildren(fragment);
    this.empty.hidden = jobs.length > 0;
    this.renderPager(jobs.length);
    this.restoreFocus(focus);
    if (this.firstRender) {
      this.firstRender = false;
      performance.mark('jobs-rendered');
    }
  }

  /** Replaces one row with the job's new state (no-op if the job is not on this page). */
  update(job) {
    const old = this.rows.get(job.id);
    if (old === undefined) return;
    const focus = this.focusedControl();
    const row = this.row(job);
    old.replaceWith(row);
    this.rows.set(job.id, row);
    this.restoreFocus(focus);
  }

  remove(id) {
    const row = this.rows.get(id);
    if (row === undefined) return;
    const hadFocus = row.contains(document.activeElement);
    const sibling = row.nextElementSibling ?? row.previousElementSibling;
    row.remove();
    this.rows.delete(id);
    this.empty.hidden = this.rows.size > 0;
    if (hadFocus) (sibling?.querySelector('.job-link') ?? document.getElementById('jobs')).focus();
  }

  setTotal(total) {
    this.total = total;
    this.renderPager(this.rows.size);
  }

  /** Redraws the countdowns (once a second). */
  tick(nowMs) {
    for (const time of this.tbody.querySelectorAll('time[data-countdown]')) {
      time.textContent = formatCountdown(time.dateTime, nowMs);
    }
  }

  row(job) {
    const next = job.nextRunTime;
    const last = job.lastRun;
    const row = h(
      'tr',
      { dataset: { id: job.id }, class: job.paused ? 'is-paused' : '' },
      h(
        'th',
        { scope: 'row', attrs: { 'data-label': 'Job' } },
        h('button', { type: 'button', class: 'link job-link', text: job.id, dataset: { focusKey: 'open' }, on: { click: () => this.onOpen(job.id) } }),
        job.name !== job.id && job.name !== job.task ? h('div', { class: 'muted small', text: job.name }) : null,
      ),
      h('td', { attrs: { 'data-label': 'Task' }, text: job.task ?? '—' }),
      h('td', { attrs: { 'data-label': 'Schedule' }, class: 'schedule', text: job.trigger?.description ?? job.trigger?.type ?? '' }),
      h(
        'td',
        { attrs: { 'data-label': 'Next run' }, class: 'next-run' },
        next === null
          ? h('span', { class: 'muted', text: job.paused ? 'paused' : 'none' })
          : h('time', { dateTime: next, title: formatInstant(next), dataset: { countdown: '' }, text: formatCountdown(next, Date.now()) }),
      ),
      h(
        'td',
        { attrs: { 'data-label': 'Last run' }, class: 'last-run', dataset: last === undefined ? {} : { scheduledAt: last.scheduledAt } },
        last === undefined
          ? h('span', { class: 'muted', text: 'never' })
          : [
              outcomeBadge(last.outcome),
              ' ',
              h('span', { class: 'muted', text: formatDuration(last.durationMs), title: `fire time ${formatInstant(last.scheduledAt)}` }),
            ],
      ),
      h('td', { attrs: { 'data-label': 'Running' }, class: 'num running', text: String(job.runningInstances ?? 0) }),
      h('td', { attrs: { 'data-label': 'Health' }, class: 'health-cell' }, healthBadge(job.health)),
      h('td', { attrs: { 'data-label': 'State' }, class: 'state' }, stateBadges(job)),
      h('td', { class: 'actions' }, this.isAdmin() ? this.actions(job) : null),
    );
    return row;
  }

  actions(job) {
    const button = (action, label, extra = '') =>
      h('button', {
        type: 'button',
        text: label,
        class: `small ${extra}`,
        dataset: { action, focusKey: action },
        attrs: { 'aria-label': `${label} ${job.id}` },
        on: { click: () => this.onAction(action, job) },
      });
    return [job.paused ? button('resume', 'Resume') : button('pause', 'Pause'), button('run', 'Run now'), button('remove', 'Remove', 'danger')];
  }

  renderSortState() {
    for (const th of this.table.tHead.querySelectorAll('th[data-sort]')) {
      if (th.dataset.sort === this.query.sort) th.setAttribute('aria-sort', SORT_DIRECTION[th.dataset.sort]);
      else th.removeAttribute('aria-sort');
    }
  }

  renderPager(count) {
    const first = this.page * this.query.limit;
    const filtered = this.query.q !== '' || this.query.state !== '' || this.query.health !== '';
    const of = !filtered && this.total !== null ? ` of ${this.total.toLocaleString()}` : '';
    fill(this.pageInfo, count === 0 ? `No jobs${of}` : `Jobs ${first + 1}–${first + count}${of}`);
    this.prev.disabled = this.page === 0;
    this.next.disabled = this.nextCursor === null;
  }

  focusedControl() {
    const el = document.activeElement;
    const row = el?.closest?.('tr[data-id]');
    if (row === null || row === undefined || !this.tbody.contains(row)) return null;
    return { id: row.dataset.id, key: el.dataset.focusKey };
  }

  restoreFocus(focus) {
    if (focus === null) return;
    const row = this.rows.get(focus.id);
    // Pause and Resume swap places: keep the focus on the row's toggle.
    const key = focus.key === 'pause' || focus.key === 'resume' ? '[data-action="pause"],[data-action="resume"]' : `[data-focus-key="${focus.key}"]`;
    row?.querySelector(key)?.focus();
  }
}

export function outcomeBadge(outcome) {
  return h('span', { class: `outcome outcome-${outcome}`, text: OUTCOME_LABEL[outcome] ?? outcome });
}

export function stateBadges(job) {
  return [
    h('span', { class: `badge ${job.paused ? 'badge-paused' : 'badge-active'}`, text: job.paused ? 'paused' : 'active' }),
    job.status === 'task_not_registered'
      ? h('span', { class: 'badge badge-error', text: 'task not registered', title: `No task named "${job.task}" is registered on the server.` })
      : null,
    job.status === 'load_error'
      ? h('span', {
          class: 'badge badge-error',
          text: 'cannot be loaded',
          title: `The stored job cannot be loaded (${job.statusReason ?? 'unknown reason'}); it never runs until it is replaced or removed.`,
        })
      : null,
  ];
}
