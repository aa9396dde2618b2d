// Job details in a modal dialog: properties, actions, the next 10 fire times (with DST marks), and the
// run history as a chart and a table with errors expanded. Refreshed (throttled) on the job's events.

import { get, jobPath, post } from './api.js';
import { runChart } from './chart.js';
import { fill, h } from './dom.js';
import { deliveriesTable } from './deliveries.js';
import { ExplainView } from './explain.js';
import { BackfillView } from './backfill.js';
import { RunArgsView } from './run-args.js';
import { AUDIT_SHOWN, actorText, auditList } from './audit.js';
import { healthBlock } from './health.js';
import { formatCountdown, formatDuration, formatFire, formatInZone, formatInstant, precisionOf } from './format.js';
import { outcomeBadge, stateBadges } from './jobs-table.js';
import { openModal } from './dialogs.js';
import { DST_NOTE, triggerSpec, triggerSummary } from './triggers.js';

const RUNS_PAGE = 50;
/** The job's most recent notification deliveries shown in its view. */
const DELIVERIES_SHOWN = 10;
const MIN_REFRESH_MS = 1000;
/** What a fire does when every instance runs (JobInfo.overlap), in the Policies line. */
const OVERLAP_WORDS = { skip: 'skip', queue: 'queue one', replace: 'replace the oldest' };

export class JobDetail {
  /** `onAction(action, job)` as for the table; `isAdmin()` decides whether actions are shown. */
  constructor(dialog, { onAction, isAdmin }) {
    this.dialog = dialog;
    this.onAction = onAction;
    this.isAdmin = isAdmin;
    this.id = null;
    this.job = null;
    this.runs = [];
    /** The job's newest audit entries; null when the server has no audit trail. */
    this.audit = null;
    this.runsCursor = null;
    this.deliveries = [];
    this.fires = null;
    this.firesKey = null;
    this.lastRefresh = 0;
    this.refreshTimer = null;
    this.explainView = new ExplainView();
    this.backfillView = new BackfillView({ onDone: () => this.markDirty() });
    this.runArgsView = new RunArgsView({ onStarted: (job) => this.show(job) });
    dialog.addEventListener('close', () => {
      this.id = null;
      clearTimeout(this.refreshTimer);
    });
  }

  isOpenFor(id) {
    return this.dialog.open && this.id === id;
  }

  async open(id) {
    this.id = id;
    this.job = null;
    this.runs = [];
    this.deliveries = [];
    this.audit = null;
    this.fires = null;
    this.firesKey = null;
    // Opened again: the form starts closed, from the job's args as they are now.
    this.runArgsView.reset();
    fill(this.dialog, h('p', { class: 'muted', text: `Loading ${id}…` }));
    openModal(this.dialog);
    await this.refresh();
    this.dialog.querySelector('.close')?.focus();
  }

  /** Refreshes soon: at most once a second however many events arrive. */
  markDirty() {
    if (this.id === null || this.refreshTimer !== null) return;
    const wait = Math.max(0, this.lastRefresh + MIN_REFRESH_MS - Date.now());
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = null;
      this.refresh().catch((error) => console.warn('tickwork detail:', error));
    }, wait);
  }

  /** Shows the job as given (an action's answer), then refreshes the rest. */
  show(job) {
    if (!this.isOpenFor(job.id)) return;
    this.job = job;
    this.render();
    this.markDirty();
  }

  removed(id) {
    if (!this.isOpenFor(id)) return;
    this.job = null;
    this.render(`Job ${id} was removed.`);
  }

  async refresh() {
    const id = this.id;
    if (id === null) return;
    this.lastRefresh = Date.now();
    const limit = Math.min(1000, Math.max(RUNS_PAGE, this.runs.length));
    let job;
    let runs;
    let deliveries;
    let audit;
    try {
      [job, runs, deliveries, audit] = await Promise.all([
        get(jobPath(id)),
        get(`${jobPath(id)}/runs?limit=${limit}`),
        this.loadDeliveries(id),
        // A server without the audit trail (older) answers 404: the list is left out.
        get(`audit?jobId=${encodeURIComponent(id)}&limit=${AUDIT_SHOWN}`).then(
          (page) => page.items,
          () => null,
        ),
      ]);
    } catch (error) {
      if (error.code === 'JOB_NOT_FOUND') return this.removed(id);
      throw error;
    }
    if (this.id !== id) return;
    this.job = job;
    this.audit = audit;
    this.runs = runs.items;
    this.runsCursor = runs.nextCursor;
    this.deliveries = deliveries;
    await this.loadFires();
    if (this.id === id) this.render();
  }

  /** The job's recent notification deliveries; none when they cannot be read (the view shows the rest). */
  async loadDeliveries(id) {
    try {
      const page = await get(`notifications/deliveries?jobId=${encodeURIComponent(id)}&limit=${DELIVERIES_SHOWN}`);
      return page.items;
    } catch (error) {
      console.warn('tickwork detail: deliveries', error);
      return [];
    }
  }

  /** The next 10 fire times: fetched again when the trigger changes or the first one has passed. */
  async loadFires() {
    const key = JSON.stringify(this.job.trigger);
    const stale = this.fires !== null && this.fires.length > 0 && Date.parse(this.fires[0].at) <= Date.now();
    if (key === this.firesKey && !stale) return;
    try {
      const exclude = this.job.exclude;
      const answer = await post('schedules/preview', { trigger: triggerSpec(this.job.trigger), count: 10, ...(exclude === undefined ? {} : { exclude }) });
      this.fires = answer.items;
    } catch (error) {
      this.fires = { error: error.message };
    }
    this.firesKey = key;
  }

  async loadOlder(button) {
    if (this.runsCursor === null) return;
    button.disabled = true;
    const page = await get(`${jobPath(this.id)}/runs?limit=${RUNS_PAGE}&cursor=${encodeURIComponent(this.runsCursor)}`);
    this.runs = this.runs.concat(page.items);
    this.runsCursor = page.nextCursor;
    this.render();
  }

  tick(nowMs) {
    if (!this.dialog.open) return;
    for (const time of this.dialog.querySelectorAll('[data-countdown]')) time.textContent = formatCountdown(time.dateTime, nowMs);
  }

  render(notice) {
    const focusKey = this.dialog.contains(document.activeElement) ? document.activeElement.dataset?.focusKey : undefined;
    const job = this.job;
    const header = h(
      'header',
      { class: 'dialog-header' },
      h('h2', { id: 'detail-title', text: job?.id ?? this.id ?? '' }),
      h('button', {
        type: 'button',
        class: 'close',
        text: '×',
        dataset: { focusKey: 'close' },
        attrs: { 'aria-label': 'Close details' },
        on: { click: () => this.dialog.close() },
      }),
    );
    if (job === null) {
      fill(this.dialog, header, h('p', { class: 'notice', text: notice ?? '' }));
      return;
    }
    // Before the actions: a new job closes the form, and its button says so (aria-expanded).
    const runArgs = this.isAdmin() ? this.runArgsView.for(job) : null;
    fill(
      this.dialog,
      header,
      h('p', { class: 'schedule-line' }, h('strong', { text: job.trigger.description ?? '' }), ' ', stateBadges(job)),
      this.isAdmin() ? this.actions(job) : null,
      runArgs,
      this.properties(job),
      healthBlock(job.health),
      this.explainView.for(job.id),
      this.isAdmin() ? this.backfillView.for(job.id) : null,
      auditList(this.audit),
      h(
        'div',
        { class: 'detail-columns' },
        h('section', { attrs: { 'aria-labelledby': 'fires-title' } }, h('h3', { id: 'fires-title', text: 'Next 10 fire times' }), this.fireList(job)),
        h(
          'section',
          { attrs: { 'aria-labelledby': 'runs-title' }, class: 'runs-section' },
          h('h3', { id: 'runs-title', text: 'Run history' }),
          runChart(this.runs, (at) => this.explainView.explain(at)),
          this.runTable(),
          this.runsCursor === null ? null : h('button', { type: 'button', text: 'Load older runs', on: { click: (e) => this.loadOlder(e.currentTarget) } }),
        ),
      ),
      this.deliveries.length === 0
        ? null
        : h(
            'section',
            { class: 'job-deliveries', attrs: { 'aria-labelledby': 'job-deliveries-title' } },
            h('h3', { id: 'job-deliveries-title', text: 'Notifications sent' }),
            deliveriesTable(this.deliveries, { showJob: false, caption: `Notification deliveries about ${job.id}, newest first` }),
          ),
    );
    if (focusKey !== undefined) {
      const key = focusKey === 'pause' || focusKey === 'resume' ? '[data-focus-key="pause"],[data-focus-key="resume"]' : `[data-focus-key="${focusKey}"]`;
      this.dialog.querySelector(key)?.focus();
    }
  }

  actions(job) {
    const button = (action, label, extra = '') =>
      h('button', {
        type: 'button',
        text: label,
        class: extra,
        dataset: { action, focusKey: action },
        on: { click: () => this.onAction(action, job) },
      });
    return h(
      'div',
      { class: 'buttons detail-actions' },
      job.paused ? button('resume', 'Resume') : button('pause', 'Pause'),
      button('run', 'Run now'),
      h('button', {
        type: 'button',
        text: 'Run with…',
        dataset: { focusKey: 'run-with' },
        attrs: { 'aria-expanded': String(this.runArgsView.open), 'aria-controls': this.runArgsView.open ? 'run-args-section' : null },
        on: { click: () => this.toggleRunArgs() },
      }),
      job.runningInstances > 0 ? button('cancel', 'Cancel running') : null,
      button('edit', 'Edit'),
      button('remove', 'Remove', 'danger'),
    );
  }

  /** Opens or closes the "Run with…" form; opening moves the focus to its args. */
  toggleRunArgs() {
    const open = this.runArgsView.toggle();
    this.render();
    if (open) this.runArgsView.args.focus();
  }

  properties(job) {
    const row = (label, value) => [h('dt', { text: label }), h('dd', {}, value)];
    const seconds = (v) => (v === null || v === undefined ? 'none' : `${v} s`);
    return h(
      'dl',
      { class: 'props' },
      row('Name', job.name),
      row('Task', job.task ?? '—'),
      row('Trigger', h('code', { text: triggerSummary(job.trigger) })),
      job.timezone ? row('Time zone', job.timezone) : null,
      row(
        'Next run',
        job.nextRunTime === null
          ? job.paused
            ? 'paused'
            : 'none'
          : [
              h('time', { dateTime: job.nextRunTime, dataset: { countdown: '' }, text: formatCountdown(job.nextRunTime, Date.now()) }),
              ` (${formatInstant(job.nextRunTime)})`,
            ],
      ),
      row('Running now', String(job.runningInstances)),
      // overlap 'queue': the one fire waiting for a free instance (named apart from PostgreSQL's queued runs).
      job.waitingFire ? row('Waiting fire', `${formatInstant(job.waitingFire.scheduledAt)}, starts when a slot frees`) : null,
      row(
        'Policies',
        `max instances ${job.maxInstances}, when all run ${OVERLAP_WORDS[job.overlap] ?? 'skip'}, coalesce ${job.coalesce ? 'on' : 'off'}, misfire grace ${seconds(job.misfireGraceTime)}, timeout ${seconds(job.timeoutSeconds)}, jitter ${seconds(job.jitterSeconds)}, retries ${job.retries ? `${job.retries.max} (backoff ${job.retries.backoffSeconds ?? 0} s)` : 'none'}${
          job.maxRuns === null || job.maxRuns === undefined ? '' : `, max runs ${job.maxRuns} (${job.remainingRuns ?? 0} left)`
        }`,
      ),
      job.args === undefined ? null : row('Args', h('pre', { class: 'args', text: JSON.stringify(job.args, null, 2) })),
    );
  }

  fireList(job) {
    if (this.fires === null) return h('p', { class: 'muted', text: 'Loading…' });
    if (!Array.isArray(this.fires)) return h('p', { class: 'error', text: this.fires.error });
    if (this.fires.length === 0) return h('p', { class: 'muted', text: 'No further fire times.' });
    return h(
      'div',
      {},
      job.paused ? h('p', { class: 'muted small', text: 'The job is paused: these are the times its trigger would fire.' }) : null,
      fireItems(this.fires, job.trigger.timezone),
    );
  }

  runTable() {
    if (this.runs.length === 0) return null;
    // The Trace column only where runs were traced (an OpenTelemetry SDK in the server): the id to look
    // the run up in the tracing backend, selected whole with one click.
    const traced = this.runs.some((run) => run.traceId);
    const columns = ['Fire time', 'Outcome', 'Started by', 'Attempt', 'Duration', 'Lateness', ...(traced ? ['Trace'] : [])];
    const body = h('tbody');
    for (const run of this.runs) {
      body.append(
        h(
          'tr',
          { class: `run run-${run.outcome}` },
          h('td', { attrs: { 'data-label': 'Fire time' } }, h('time', { dateTime: run.scheduledAt, text: formatInstant(run.scheduledAt) })),
          h(
            'td',
            { attrs: { 'data-label': 'Outcome' } },
            outcomeBadge(run.outcome),
            run.coalesced > 1 ? h('span', { class: 'muted small', text: ` ×${run.coalesced}` }) : null,
          ),
          h('td', { attrs: { 'data-label': 'Started by' }, class: 'started-by', text: startedBy(run) }),
          h('td', { attrs: { 'data-label': 'Attempt' }, class: 'num', text: String(run.attempt) }),
          h('td', { attrs: { 'data-label': 'Duration' }, class: 'num', text: formatDuration(run.durationMs) }),
          h('td', { attrs: { 'data-label': 'Lateness' }, class: 'num', text: formatDuration(run.latenessMs) }),
          traced
            ? h(
                'td',
                { attrs: { 'data-label': 'Trace' } },
                run.traceId ? h('code', { class: 'trace-id', title: "Trace id of the run's tickwork.run span", text: run.traceId }) : null,
              )
            : null,
        ),
      );
      if (run.error || run.output || run.note) {
        body.append(
          h(
            'tr',
            { class: 'run-extra' },
            h(
              'td',
              { colSpan: columns.length },
              run.error
                ? h(
                    'p',
                    { class: 'error run-error' },
                    run.error.code ? h('code', { text: run.error.code }) : null,
                    run.error.code ? ' ' : null,
                    run.error.message,
                  )
                : null,
              run.note ? h('p', { class: 'muted small run-note', text: `Note: ${run.note}` }) : null,
              run.output ? h('pre', { class: 'output', text: run.output }) : null,
            ),
          ),
        );
      }
    }
    return h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { class: 'runs' },
        h('caption', { class: 'visually-hidden', text: 'Runs, newest first' }),
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            columns.map((t) => h('th', { scope: 'col', text: t })),
          ),
        ),
        body,
      ),
    );
  }
}

/**
 * An ordered list of preview items, DST-moved ones marked (shared with the form's live preview). With a
 * cron zone other than the browser's, each time is also given in that zone, where the DST rules apply.
 */
export function fireItems(items, zone) {
  const other = zone && zone !== Intl.DateTimeFormat().resolvedOptions().timeZone ? zone : null;
  // Seconds or milliseconds when the schedule has them: a 0.7 s interval's fires must not all read "03:01".
  const precision = precisionOf(items.map((item) => item.at));
  return h(
    'ol',
    { class: 'fires' },
    items.map((item) =>
      h(
        'li',
        {},
        h('time', { dateTime: item.at, text: formatFire(item.at, precision) }),
        other === null ? null : h('span', { class: 'muted small zone-time', text: ` (${formatInZone(item.at, other, precision)})` }),
        item.dst ? h('span', { class: `dst dst-${item.dst}`, title: DST_NOTE[item.dst] ?? '', text: `DST ${item.dst}` }) : null,
        item.excluded
          ? h('span', { class: 'excluded', title: 'This fire is excluded: it will be recorded excluded, not run.', text: `excluded (${item.excluded})` })
          : null,
      ),
    ),
  );
}

/**
 * What started a run and who, in a few words: `schedule` and `retry` (the scheduler's own) alone, else the
 * trigger and its actor (`manual · admin key 1`, `manual · library`). Not the job's trigger (its schedule).
 */
function startedBy(run) {
  const trigger = run.trigger ?? 'schedule';
  const actor = run.actor;
  if (actor === undefined || actor === null || actor.by === 'scheduler') return trigger;
  return `${trigger} · ${actorText(actor)}`;
}
