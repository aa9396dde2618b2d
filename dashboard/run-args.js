// "Run with…" in the job view (admin keys): a manual run given its own args and a note
// (POST /jobs/:id/run { args?, note? }). The args box starts with the job's own args: the run uses what the
// box holds for that run only (the job keeps its args), an empty box runs the job with its own. The server
// checks the args against the task's argsSchema; its refusal is shown with each field's path (`args.url`).

import { jobPath, post } from './api.js';
import { fill, h } from './dom.js';
import { errorBlock } from './error-block.js';

/** The API bounds a run's note to 1-500 characters. */
const NOTE_MAX = 500;
const RUN_ARGS_ERROR = { block: 'run-args-error', fields: 'run-args-fields' };

export class RunArgsView {
  /** `onStarted(job)`: the run started, with the job as the server answered it (the view refreshes). */
  constructor({ onStarted }) {
    this.onStarted = onStarted;
    this.jobId = null;
    this.seq = 0;
    /** Whether the form is shown: the "Run with…" button toggles it; it stays open across redraws. */
    this.open = false;
    this.args = h('textarea', {
      name: 'args',
      id: 'run-args',
      rows: 6,
      spellcheck: false,
      class: 'run-args-json',
      dataset: { focusKey: 'run-args' },
      attrs: { 'aria-describedby': 'run-args-hint' },
    });
    this.note = h('input', {
      type: 'text',
      name: 'note',
      id: 'run-note',
      maxLength: NOTE_MAX,
      placeholder: 'why, e.g. replay for INC-42',
      dataset: { focusKey: 'run-note' },
    });
    this.result = h('div', { class: 'run-args-result', attrs: { 'aria-live': 'polite' } });
    this.element = h(
      'section',
      { class: 'run-args', id: 'run-args-section', attrs: { 'aria-labelledby': 'run-args-title' } },
      h('h3', { id: 'run-args-title', text: 'Run with arguments' }),
      h(
        'form',
        { class: 'run-args-form', on: { submit: (event) => this.submit(event) } },
        h('label', { attrs: { for: 'run-args' }, text: 'Args (JSON)' }),
        this.args,
        h('p', {
          id: 'run-args-hint',
          class: 'muted small',
          text: "For this run only: the job keeps its own args. Leave empty to run with the job's args.",
        }),
        h('label', { attrs: { for: 'run-note' }, text: `Note (optional, up to ${NOTE_MAX} characters)` }),
        this.note,
        h('div', {}, h('button', { type: 'submit', class: 'primary', text: 'Run', dataset: { focusKey: 'run-args-run' } })),
      ),
      this.result,
    );
  }

  /** The form for a job, or null when closed; keeps what it holds while the job stays the same. */
  for(job) {
    if (job.id !== this.jobId) {
      this.jobId = job.id;
      this.open = false;
      this.args.value = job.args === undefined ? '' : JSON.stringify(job.args, null, 2);
      this.note.value = '';
      fill(this.result);
    }
    return this.open ? this.element : null;
  }

  /** Forgets the job: the next `for()` starts afresh (closed, the job's args). */
  reset() {
    this.jobId = null;
  }

  toggle() {
    this.open = !this.open;
    return this.open;
  }

  /** The request body the form asks for, or a message saying what to fix. */
  request() {
    const body = {};
    const text = this.args.value.trim();
    if (text !== '') {
      try {
        body.args = JSON.parse(text);
      } catch (error) {
        return `The args are not valid JSON (${error.message}). Fix them, or empty the box to run with the job's own args.`;
      }
    }
    const note = this.note.value.trim();
    if (note.length > NOTE_MAX) return `The note has ${note.length} characters: at most ${NOTE_MAX}.`;
    if (note !== '') body.note = note;
    return body;
  }

  async submit(event) {
    event.preventDefault();
    const body = this.request();
    if (typeof body === 'string') {
      fill(this.result, h('p', { class: 'error run-args-error', text: body }));
      return;
    }
    const jobId = this.jobId;
    const seq = ++this.seq;
    fill(this.result, h('p', { class: 'muted', text: 'Starting…' }));
    try {
      const job = await post(`${jobPath(jobId)}/run`, body);
      if (seq !== this.seq || jobId !== this.jobId) return;
      const given = body.args === undefined ? "with the job's own args" : 'with the given args';
      fill(this.result, h('p', { class: 'run-args-started', text: `Started ${jobId} ${given}: the run shows in the history as manual.` }));
      this.onStarted(job);
    } catch (error) {
      if (seq === this.seq) fill(this.result, errorBlock(error, RUN_ARGS_ERROR));
    }
  }
}
