// Backfill in the job view (admin keys): a range (read in the browser's zone) and the outcomes to re-run,
// a dry run that lists the fires that would run (POST /jobs/:id/backfill with dryRun), then a confirm
// that runs exactly that backfill. The list is the server's answer: each fire's original time, its
// recorded outcome and the run id the re-run gets.

import { jobPath, post } from './api.js';
import { fill, h } from './dom.js';
import { formatInstant, OUTCOME_LABEL } from './format.js';

const OUTCOMES = ['missed', 'lost', 'failed', 'skipped', 'cancelled'];
const HINT = {
  lost: 'a lost run may have done its work',
  failed: 'failed and timed out',
};

export class BackfillView {
  /** `onDone()`: a backfill started (the job view refreshes its history). */
  constructor({ onDone }) {
    this.onDone = onDone;
    this.jobId = null;
    this.seq = 0;
    /** The request the preview shows, run as it is on confirm. */
    this.previewed = null;
    this.from = h('input', { type: 'datetime-local', name: 'from', step: 1, required: true, id: 'backfill-from', dataset: { focusKey: 'backfill-from' } });
    this.to = h('input', { type: 'datetime-local', name: 'to', step: 1, required: true, id: 'backfill-to', dataset: { focusKey: 'backfill-to' } });
    this.boxes = OUTCOMES.map((outcome) =>
      h('input', {
        type: 'checkbox',
        name: 'only',
        value: outcome,
        checked: outcome === 'missed',
        id: `backfill-only-${outcome}`,
        dataset: { focusKey: `backfill-${outcome}` },
      }),
    );
    this.result = h('div', { class: 'backfill-result', attrs: { 'aria-live': 'polite' } });
    this.element = h(
      'section',
      { class: 'backfill', attrs: { 'aria-labelledby': 'backfill-title' } },
      h('h3', { id: 'backfill-title', text: 'Backfill' }),
      h(
        'form',
        { class: 'backfill-form', on: { submit: (event) => this.submit(event) } },
        h('label', { attrs: { for: 'backfill-from' }, text: 'From (your zone) ' }),
        this.from,
        ' ',
        h('label', { attrs: { for: 'backfill-to' }, text: 'To ' }),
        this.to,
        h(
          'fieldset',
          { class: 'backfill-only' },
          h('legend', { text: 'Re-run fires recorded' }),
          this.boxes.map((box) => h('label', { attrs: { for: box.id }, title: HINT[box.value] ?? '' }, box, ` ${OUTCOME_LABEL[box.value] ?? box.value}`)),
        ),
        h('button', { type: 'submit', text: 'Preview', dataset: { focusKey: 'backfill-preview' } }),
      ),
      h('p', { class: 'muted small', text: 'Only the gaps run again, each under its original time: a fire that succeeded never does.' }),
      this.result,
    );
  }

  /** The view for a job; keeps what it shows while the job stays the same (the dialog redraws often). */
  for(jobId) {
    if (jobId !== this.jobId) {
      this.jobId = jobId;
      this.from.value = '';
      this.to.value = '';
      for (const box of this.boxes) box.checked = box.value === 'missed';
      this.previewed = null;
      fill(this.result);
    }
    return this.element;
  }

  /** The request the form asks for, or a message saying what to fix. */
  request() {
    const from = Date.parse(this.from.value);
    const to = Date.parse(this.to.value);
    if (!Number.isFinite(from) || !Number.isFinite(to)) return 'Type both times.';
    const only = this.boxes.filter((box) => box.checked).map((box) => box.value);
    if (only.length === 0) return 'Tick at least one outcome.';
    return { from: new Date(from).toISOString(), to: new Date(to).toISOString(), only };
  }

  async submit(event) {
    event.preventDefault();
    const request = this.request();
    if (typeof request === 'string') {
      fill(this.result, h('p', { class: 'error', text: request }));
      return;
    }
    const jobId = this.jobId;
    const seq = ++this.seq;
    this.previewed = null;
    fill(this.result, h('p', { class: 'muted', text: 'Asking…' }));
    try {
      const answer = await post(`${jobPath(jobId)}/backfill`, { ...request, dryRun: true });
      if (seq !== this.seq || jobId !== this.jobId) return;
      this.previewed = request;
      fill(this.result, this.preview(answer));
    } catch (error) {
      if (seq === this.seq) fill(this.result, h('p', { class: 'error', text: error.message }));
    }
  }

  preview(answer) {
    const left = Object.entries(answer.leftAlone)
      .map(([outcome, count]) => `${count} ${OUTCOME_LABEL[outcome] ?? outcome}`)
      .join(', ');
    const leftLine = left === '' ? null : h('p', { class: 'muted small backfill-left', text: `Left alone: ${left}.` });
    if (answer.fires.length === 0) return h('div', {}, h('p', { class: 'backfill-none', text: 'Nothing to re-run in this range.' }), leftLine);
    const n = answer.fires.length;
    return h(
      'div',
      {},
      h('p', { text: `${n} fire${n === 1 ? '' : 's'} would run again, oldest first:` }),
      h(
        'ol',
        { class: 'backfill-fires' },
        answer.fires.map((fire) =>
          h(
            'li',
            {},
            h('time', { dateTime: fire.scheduledAt, text: formatInstant(fire.scheduledAt) }),
            ` ${OUTCOME_LABEL[fire.outcome] ?? fire.outcome} → `,
            h('code', { text: fire.runId }),
          ),
        ),
      ),
      leftLine,
      h('button', {
        type: 'button',
        class: 'primary',
        text: `Run ${n} fire${n === 1 ? '' : 's'}`,
        dataset: { focusKey: 'backfill-run' },
        on: { click: (event) => this.run(event.currentTarget) },
      }),
    );
  }

  /** Runs the previewed backfill as it was previewed (the server plans it again: what ran is its answer). */
  async run(button) {
    const request = this.previewed;
    if (request === null) return;
    button.disabled = true;
    const jobId = this.jobId;
    const seq = ++this.seq;
    try {
      const answer = await post(`${jobPath(jobId)}/backfill`, request);
      if (seq !== this.seq || jobId !== this.jobId) return;
      this.previewed = null;
      const n = answer.fires.length;
      fill(this.result, h('p', { class: 'backfill-started', text: n === 0 ? 'Nothing was left to re-run.' : `Started ${n} fire${n === 1 ? '' : 's'}.` }));
      this.onDone();
    } catch (error) {
      if (seq === this.seq) fill(this.result, h('p', { class: 'error', text: error.message }));
      button.disabled = false;
    }
  }
}
