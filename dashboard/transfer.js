// Export and import of job definitions (admin keys; the header's scheduler controls). Export saves
// GET /export as a JSON file, built in the page as a Blob (the strict CSP allows no inline script, and the
// API needs the key header, so a plain link to the route would not do). Import takes such a file (or pasted
// JSON), previews it with POST /import { dryRun: true }, then applies exactly the previewed request.

import { get, post } from './api.js';
import { openModal } from './dialogs.js';
import { fill, h } from './dom.js';
import { errorBlock } from './error-block.js';

/** Saves the export as `tickwork-jobs-<date>.json`; resolves with the number of jobs saved. */
export async function downloadExport() {
  const answer = await get('export');
  const blob = new Blob([`${JSON.stringify(answer, null, 2)}\n`], { type: 'application/json' });
  const url = URL.createObjectURL(blob);
  const link = h('a', { href: url, download: `tickwork-jobs-${new Date().toISOString().slice(0, 10)}.json`, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  // The download has started reading the blob by now; a delay keeps slow browsers from losing it.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  return answer.jobs.length;
}

/** The import request's `jobs` in a text: an export (`{ jobs: [...] }`) or a bare list, or a message. */
export function parseJobs(text) {
  if (text.trim() === '') return 'Choose a JSON file or paste JSON first.';
  let value;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return `This is not valid JSON (${error.message}). Choose a file made by Export, or fix the pasted text.`;
  }
  const jobs = Array.isArray(value) ? value : value?.jobs;
  if (!Array.isArray(jobs)) return 'The JSON has no "jobs" list: it should look like { "jobs": [ ... ] }, as Export saves it.';
  return jobs;
}

const IMPORT_ERROR = { block: 'import-error', fields: 'import-fields' };

const GROUPS = [
  ['created', 'Created'],
  ['updated', 'Updated'],
  ['unchanged', 'Unchanged'],
  ['removed', 'Removed'],
];

export class ImportView {
  /** `onApplied()`: an import changed jobs (the page reloads its table and status). */
  constructor(dialog, { onApplied }) {
    this.dialog = dialog;
    this.onApplied = onApplied;
    this.seq = 0;
    /** The request the preview shows, posted as it is by Apply. */
    this.previewed = null;
    this.file = h('input', {
      type: 'file',
      id: 'import-file',
      accept: 'application/json,.json',
      on: { change: () => this.readFile() },
    });
    this.text = h('textarea', {
      id: 'import-json',
      rows: 10,
      spellcheck: false,
      class: 'import-json',
      placeholder: '{ "jobs": [ … ] }',
      on: { input: () => this.changed() },
    });
    this.prune = h('input', { type: 'checkbox', id: 'import-prune', attrs: { 'aria-describedby': 'import-prune-hint' }, on: { change: () => this.changed() } });
    this.result = h('div', { class: 'import-result', attrs: { 'aria-live': 'polite' } });
    this.element = h(
      'div',
      {},
      h(
        'header',
        { class: 'dialog-header' },
        h('h2', { id: 'transfer-title', text: 'Import jobs' }),
        h('button', { type: 'button', class: 'close', text: '×', attrs: { 'aria-label': 'Close import' }, on: { click: () => this.dialog.close() } }),
      ),
      h(
        'form',
        { class: 'import-form', on: { submit: (event) => this.submit(event) } },
        h('label', { attrs: { for: 'import-file' }, text: 'JSON file (from Export)' }),
        this.file,
        h('label', { attrs: { for: 'import-json' }, text: 'or paste JSON' }),
        this.text,
        h('label', { attrs: { for: 'import-prune' } }, this.prune, ' Prune'),
        h('p', {
          id: 'import-prune-hint',
          class: 'muted small',
          text: 'Prune removes the jobs created over the API that the file no longer lists (jobs from the config file or the library stay).',
        }),
        h('div', {}, h('button', { type: 'submit', text: 'Preview' })),
      ),
      this.result,
    );
  }

  /** Opens the form as it was left (its text and Prune), without the last answer. */
  open() {
    this.changed();
    fill(this.dialog, this.element);
    openModal(this.dialog, this.file);
  }

  async readFile() {
    const file = this.file.files?.[0];
    if (file === undefined) return;
    this.text.value = await file.text();
    this.changed();
  }

  /** The form changed after a preview: Apply would no longer do what the preview shows. */
  changed() {
    this.seq++;
    this.previewed = null;
    fill(this.result);
  }

  async submit(event) {
    event.preventDefault();
    const jobs = parseJobs(this.text.value);
    if (typeof jobs === 'string') {
      this.previewed = null;
      fill(this.result, h('p', { class: 'error import-error', text: jobs }));
      return;
    }
    const request = { jobs, prune: this.prune.checked };
    const seq = ++this.seq;
    this.previewed = null;
    fill(this.result, h('p', { class: 'muted', text: 'Checking…' }));
    try {
      const answer = await post('import', { ...request, dryRun: true });
      if (seq !== this.seq) return;
      this.previewed = request;
      fill(this.result, this.preview(answer));
    } catch (error) {
      if (seq === this.seq) fill(this.result, errorBlock(error, IMPORT_ERROR));
    }
  }

  preview(answer) {
    const changes = answer.created.length + answer.updated.length + answer.removed.length;
    return h(
      'div',
      {},
      h('p', { text: changes === 0 ? 'Nothing would change.' : 'The import would change:' }),
      diffList(answer, 'import-preview'),
      changes === 0 ? null : h('button', { type: 'button', class: 'primary', text: 'Apply', on: { click: (event) => this.apply(event.currentTarget) } }),
    );
  }

  /** Posts the previewed request (the server checks it again: what changed is its answer). */
  async apply(button) {
    const request = this.previewed;
    if (request === null) return;
    button.disabled = true;
    const seq = ++this.seq;
    try {
      const answer = await post('import', request);
      if (seq !== this.seq) return;
      this.previewed = null;
      fill(this.result, h('p', { class: 'import-applied', text: 'Imported:' }), diffList(answer, 'import-done'));
      this.onApplied();
    } catch (error) {
      if (seq === this.seq) fill(this.result, errorBlock(error, IMPORT_ERROR));
      button.disabled = false;
    }
  }
}

/** The ids of each kind of change, a group per kind (empty kinds say "none"). */
function diffList(answer, className) {
  return h(
    'dl',
    { class: `import-diff ${className}` },
    GROUPS.flatMap(([key, label]) => {
      const ids = answer[key];
      return [
        h('dt', { text: `${label} (${ids.length})` }),
        h('dd', { dataset: { kind: key } }, ids.length === 0 ? h('span', { class: 'muted', text: 'none' }) : ids.map((id) => h('code', { text: id }))),
      ];
    }),
  );
}
