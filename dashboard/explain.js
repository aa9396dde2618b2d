// "Why didn't it run?" in the job view: GET /api/v1/jobs/:id/explain?at= for a time typed in (read in
// the browser's zone) or a point picked on the run chart, and the verdict with its evidence in words.

import { get, jobPath } from './api.js';
import { fill, h } from './dom.js';
import { formatDuration, formatInstant, OUTCOME_LABEL } from './format.js';
import { DST_NOTE } from './triggers.js';

const VERDICT_LABEL = {
  ran: 'ran',
  missed: 'missed',
  skipped: 'skipped',
  coalesced: 'coalesced',
  lost: 'lost',
  paused: 'paused',
  not_scheduled: 'not scheduled',
  pending: 'pending',
  pruned: 'history pruned',
};

/** "2026-03-29T02:30" (a datetime-local value) for an ISO instant, in the browser's zone. */
function localValue(iso) {
  const d = new Date(iso);
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

export class ExplainView {
  constructor() {
    this.jobId = null;
    this.seq = 0;
    this.input = h('input', { type: 'datetime-local', name: 'at', step: 1, required: true, id: 'explain-at', dataset: { focusKey: 'explain-at' } });
    this.result = h('div', { class: 'explain-result', attrs: { 'aria-live': 'polite' } });
    this.element = h(
      'section',
      { class: 'explain', attrs: { 'aria-labelledby': 'explain-title' } },
      h('h3', { id: 'explain-title', text: "Why didn't it run?" }),
      h(
        'form',
        { class: 'explain-form', on: { submit: (event) => this.submit(event) } },
        h('label', { attrs: { for: 'explain-at' }, text: 'Time (your zone) ' }),
        this.input,
        ' ',
        h('button', { type: 'submit', text: 'Explain', dataset: { focusKey: 'explain' } }),
      ),
      h('p', { class: 'muted small', text: 'Or pick a point of the run chart.' }),
      this.result,
    );
  }

  /** The view for a job; keeps what it shows while the job stays the same (the dialog redraws often). */
  for(jobId) {
    if (jobId !== this.jobId) {
      this.jobId = jobId;
      this.input.value = '';
      fill(this.result);
    }
    return this.element;
  }

  submit(event) {
    event.preventDefault();
    const ms = Date.parse(this.input.value);
    if (!Number.isFinite(ms)) {
      fill(this.result, h('p', { class: 'error', text: 'Type a date and time.' }));
      return;
    }
    this.explain(new Date(ms).toISOString());
  }

  /** Explains the fire nearest to `iso` (also called by the run chart). */
  async explain(iso) {
    const jobId = this.jobId;
    const seq = ++this.seq;
    this.input.value = localValue(iso);
    fill(this.result, h('p', { class: 'muted', text: 'Asking…' }));
    try {
      const answer = await get(`${jobPath(jobId)}/explain?at=${encodeURIComponent(iso)}`);
      if (seq === this.seq && jobId === this.jobId) fill(this.result, render(answer));
    } catch (error) {
      if (seq === this.seq) fill(this.result, h('p', { class: 'error', text: error.message }));
    }
  }
}

function render(answer) {
  const e = answer.evidence;
  const items = [];
  const item = (label, ...value) => items.push(h('li', {}, h('strong', { text: `${label}: ` }), ...value));
  const time = (iso) => h('time', { dateTime: iso, text: formatInstant(iso) });
  if (answer.scheduledAt !== null) item('Fire', time(answer.scheduledAt));
  if (e.run !== undefined) {
    const run = e.run;
    item(
      'Run',
      h('code', { text: run.id }),
      ` ${OUTCOME_LABEL[run.outcome] ?? run.outcome}`,
      run.error ? ` (${run.error.code ? `${run.error.code}: ` : ''}${run.error.message})` : '',
    );
  }
  if (e.attempts !== undefined) item('Attempts', String(e.attempts));
  if (e.latenessMs !== undefined && e.latenessMs !== null) item('Lateness', formatDuration(e.latenessMs));
  if (e.misfireGraceSeconds !== undefined) item('Misfire grace', e.misfireGraceSeconds === null ? 'unbounded' : `${e.misfireGraceSeconds} s`);
  if (e.maxInstances !== undefined) item('Max instances', String(e.maxInstances));
  if (e.heldBy !== undefined)
    item(
      'Slot held by',
      e.heldBy === null ? 'a run no longer in the history' : [h('code', { text: e.heldBy.id }), ` (${OUTCOME_LABEL[e.heldBy.outcome] ?? e.heldBy.outcome})`],
    );
  if (e.fires !== undefined) item('Stands for', `${e.fires} fires`);
  if (e.node !== undefined) item('Node', e.node ?? 'this process (it died)');
  if (e.lostAt !== undefined && e.lostAt !== null) item('Declared lost', time(e.lostAt));
  if (e.pause !== undefined)
    item(
      'Paused',
      e.pause.scope === 'job' ? 'the job' : 'the whole scheduler',
      e.pause.since ? [' since ', time(e.pause.since)] : '',
      e.pause.by ? ` by ${e.pause.by}` : '',
    );
  if (e.oldestKept !== undefined) item('Oldest run kept', e.oldestKept === null ? 'none' : time(e.oldestKept));
  item('Fire before', fire(e.fireBefore));
  item('Fire after', fire(e.fireAfter));
  return h(
    'div',
    { dataset: { verdict: answer.verdict } },
    h(
      'p',
      {},
      h('span', { class: `badge verdict verdict-${answer.verdict}`, text: VERDICT_LABEL[answer.verdict] ?? answer.verdict }),
      ' ',
      h('span', { class: 'explain-reason', text: e.reason }),
    ),
    h('ul', { class: 'evidence' }, items),
  );
}

function fire(f) {
  if (f === null) return 'none';
  return [
    h('time', { dateTime: f.at, text: formatInstant(f.at) }),
    f.dst ? h('span', { class: `dst dst-${f.dst}`, title: DST_NOTE[f.dst] ?? '', text: `DST ${f.dst}` }) : null,
  ];
}
