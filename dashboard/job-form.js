// The add/edit job form in a modal dialog: a cron, interval, date or calendar-interval schedule builder,
// or a combined (or/and) trigger written as JSON, with a live preview of the next fire times
// (POST /schedules/preview), and the job's policies. The server validates everything (the form is
// `novalidate`), so its error messages are what the user sees.

import { jobPath, patch, post } from './api.js';
import { debounce, fill, h } from './dom.js';
import { openModal } from './dialogs.js';
import { fireItems } from './job-detail.js';
import { triggerSpec } from './triggers.js';

const CRON_PRESETS = [
  { value: '', label: 'custom expression' },
  { value: '* * * * *', label: 'every minute' },
  { value: '*/5 * * * *', label: 'every 5 minutes' },
  { value: '*/15 * * * *', label: 'every 15 minutes' },
  { value: '0 * * * *', label: 'every hour' },
  { value: 'M H * * *', label: 'every day at…', time: true },
  { value: 'M H * * 1-5', label: 'weekdays at…', time: true },
  { value: 'M H * * 1', label: 'Mondays at…', time: true },
  { value: 'M H 1 * *', label: 'the 1st of each month at…', time: true },
  { value: 'M H L * *', label: 'the last day of each month at…', time: true },
  { value: 'M H LW * *', label: 'the last weekday of each month at…', time: true },
  { value: 'M H 15W * *', label: 'the weekday nearest the 15th at…', time: true },
  { value: 'M H * * 1#1', label: 'the first Monday of each month at…', time: true },
  { value: 'M H * * 5L', label: 'the last Friday of each month at…', time: true },
  { value: 'H H(0-5) * * *', label: 'once a night, at a time hashed from the job id (H)' },
];
/** An expression item starting with H (Jenkins' hashed value), as the server tells them apart from THU. */
const USES_HASH = /(?:^|[\s,])H/;
const UNITS = [
  ['seconds', 1],
  ['minutes', 60],
  ['hours', 3600],
  ['days', 86400],
];
const CALENDAR_UNITS = ['days', 'weeks', 'months', 'years'];
/** The overlap policies (JobInfo.overlap), as the form offers them. */
const OVERLAPS = [
  ['skip', 'skip the fire'],
  ['queue', 'queue it (one waits)'],
  ['replace', 'replace the oldest run'],
];
/** What the combined editor starts with: weekdays at 09:00, and noon at weekends. */
const COMBINED_EXAMPLE = {
  type: 'or',
  triggers: [
    { type: 'cron', expression: '0 9 * * 1-5' },
    { type: 'cron', expression: '0 12 * * 6,0' },
  ],
};
let formSeq = 0;

export class JobForm {
  /** `tasks()` lists task names; `defaultTimezone()` the server's zone; `onSaved(job, created)` after a save. */
  constructor(dialog, { tasks, defaultTimezone, onSaved }) {
    this.dialog = dialog;
    this.tasks = tasks;
    this.defaultTimezone = defaultTimezone;
    this.onSaved = onSaved;
    this.previewSeq = 0;
    this.schedulePreview = debounce(() => this.preview(), 250);
  }

  /** Opens the form: empty to add a job, or filled from `job` to edit it. */
  open(job = null) {
    this.job = job;
    const p = `f${++formSeq}-`;
    this.prefix = p;
    const f = (name) => `${p}${name}`;
    const input = (name, props = {}) => h('input', { id: f(name), name, ...props });
    const field = (label, control, hint) =>
      h(
        'div',
        { class: 'field' },
        h('label', { htmlFor: control.id, text: label }),
        control,
        hint ? h('small', { class: 'hint', id: `${control.id}-hint`, text: hint }) : null,
      );
    const taskNames = this.tasks();
    if (job?.task && !taskNames.includes(job.task)) taskNames.push(job.task);
    const zones = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
    const radio = (value, label) =>
      h('label', { class: 'radio' }, h('input', { type: 'radio', name: 'triggerType', value, on: { change: () => this.showTriggerFields() } }), ` ${label}`);
    const browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone;

    this.form = h(
      'form',
      { noValidate: true, class: 'job-form', on: { submit: (e) => this.submit(e), input: (e) => this.onEdit(e), change: (e) => this.onEdit(e) } },
      h(
        'header',
        { class: 'dialog-header' },
        h('h2', { id: 'form-title', text: job === null ? 'Add a job' : `Edit ${job.id}` }),
        h('button', { type: 'button', class: 'close', text: '×', attrs: { 'aria-label': 'Close the form' }, on: { click: () => this.dialog.close() } }),
      ),
      h(
        'div',
        { class: 'form-grid' },
        field(
          'Job id',
          input('id', { autocomplete: 'off', spellcheck: false, maxLength: 200, placeholder: 'generated if empty', disabled: job !== null }),
          'Letters, digits and . _ : -',
        ),
        field('Name', input('name', { autocomplete: 'off', maxLength: 200, placeholder: 'the task name if empty' })),
        field(
          'Task',
          h(
            'select',
            { id: f('task'), name: 'task' },
            taskNames.map((t) => h('option', { value: t, text: t })),
          ),
        ),
        field('Args (JSON)', h('textarea', { id: f('args'), name: 'args', rows: 3, spellcheck: false, placeholder: '{ "message": "hello" }' })),
      ),
      h(
        'fieldset',
        { class: 'schedule-builder' },
        h('legend', { text: 'Schedule' }),
        h(
          'div',
          { class: 'radios' },
          radio('cron', 'Cron'),
          radio('interval', 'Interval'),
          radio('date', 'Once, at a date'),
          radio('calendarInterval', 'Calendar interval'),
          radio('combined', 'Combined (or / and)'),
        ),
        h(
          'div',
          { class: 'trigger-fields', dataset: { type: 'cron' } },
          field(
            'Preset',
            h(
              'select',
              { id: f('preset'), name: 'preset', on: { change: () => this.applyPreset() } },
              CRON_PRESETS.map((preset) => h('option', { value: preset.value, text: preset.label })),
            ),
          ),
          field('At', input('presetTime', { type: 'time', value: '02:30', on: { change: () => this.applyPreset() } })),
          field(
            'Expression',
            input('expression', { autocomplete: 'off', spellcheck: false, placeholder: '*/15 * * * *' }),
            'minute hour day-of-month month day-of-week (6 fields: seconds first), or @daily, @hourly…; also L, L-n, nW, LW, nL, n#k, ? and H (hashed from the job id)',
          ),
          field(
            'Time zone',
            input('timezone', { autocomplete: 'off', attrs: { list: f('zones') }, placeholder: `server default (${this.defaultTimezone() ?? 'UTC'})` }),
          ),
          h(
            'datalist',
            { id: f('zones') },
            zones.map((z) => h('option', { value: z })),
          ),
        ),
        h(
          'div',
          { class: 'trigger-fields', dataset: { type: 'interval' } },
          field('Every', input('every', { type: 'number', min: '0', step: 'any', inputMode: 'decimal', value: '15' })),
          field(
            'Unit',
            h(
              'select',
              { id: f('unit'), name: 'unit' },
              UNITS.map(([u, s]) => h('option', { value: String(s), text: u, selected: u === 'minutes' })),
            ),
          ),
        ),
        h(
          'div',
          { class: 'trigger-fields', dataset: { type: 'date' } },
          field('Run at', input('runAt', { type: 'datetime-local', step: '1' }), `In your browser's zone (${browserZone}).`),
        ),
        h(
          'div',
          { class: 'trigger-fields', dataset: { type: 'calendarInterval' } },
          field('Repeat every', input('calEvery', { type: 'number', min: '1', step: '1', value: '1' })),
          field(
            'Calendar unit',
            h(
              'select',
              { id: f('calUnit'), name: 'calUnit' },
              CALENDAR_UNITS.map((u) => h('option', { value: u, text: u, selected: u === 'months' })),
            ),
          ),
          field('Time of day', input('calTime', { type: 'time', step: '1', value: '09:00' })),
          field('First day', input('calStart', { type: 'date' }), 'The first fire day (default today). A day a month lacks (the 31st) is skipped, not moved.'),
          field(
            'Zone of the days',
            input('calZone', { autocomplete: 'off', attrs: { list: f('zones') }, placeholder: `server default (${this.defaultTimezone() ?? 'UTC'})` }),
          ),
        ),
        h(
          'div',
          { class: 'trigger-fields', dataset: { type: 'combined' } },
          field(
            'Trigger (JSON)',
            h('textarea', { id: f('combined'), name: 'combined', rows: 8, spellcheck: false }),
            '{ "type": "or" | "and", "triggers": [ … ] }: "or" fires when any fires, "and" when all fire at the same instant; they nest.',
          ),
        ),
        h(
          'div',
          { class: 'preview' },
          h('p', { class: 'preview-status', id: f('preview-status'), attrs: { 'aria-live': 'polite' } }),
          h('div', { class: 'preview-list' }),
        ),
      ),
      h(
        'details',
        { class: 'policies' },
        h('summary', { text: 'Policies' }),
        h(
          'div',
          { class: 'form-grid' },
          field('Max instances', input('maxInstances', { type: 'number', min: '1', step: '1', placeholder: '1' })),
          field(
            'When all are running',
            h(
              'select',
              { id: f('overlap'), name: 'overlap' },
              OVERLAPS.map(([value, text]) => h('option', { value, text, selected: value === 'skip' })),
            ),
            'What a fire does when max instances runs are going: skip it, let it wait for a slot (one waits), or cancel the oldest run for it.',
          ),
          field(
            'Misfire grace (s)',
            input('misfireGraceTime', { inputMode: 'decimal', autocomplete: 'off', placeholder: '60' }),
            'Empty: the default; "none": run however late.',
          ),
          field('Timeout (s)', input('timeoutSeconds', { type: 'number', min: '0', step: 'any', placeholder: 'none' })),
          field('Jitter (s)', input('jitterSeconds', { type: 'number', min: '0', step: 'any', placeholder: '0' })),
          field('Retries', input('retriesMax', { type: 'number', min: '0', step: '1', placeholder: 'none' })),
          field('Retry backoff (s)', input('retriesBackoff', { type: 'number', min: '0', step: 'any', placeholder: '0' })),
          field(
            'Max runs',
            input('maxRuns', { type: 'number', min: '1', step: '1', placeholder: 'no limit' }),
            job?.remainingRuns === undefined ? 'Fires that may start; then the job is removed.' : `${job.remainingRuns} left.`,
          ),
          field(
            'Exclude calendars',
            input('excludeCalendars', { autocomplete: 'off', placeholder: 'holidays, shutdown' }),
            'Named calendars (comma-separated): fires on their dates are recorded excluded, not run.',
          ),
          field(
            'Exclude dates',
            input('excludeDates', { autocomplete: 'off', placeholder: '2026-12-25, 2027-01-01' }),
            "Local dates (YYYY-MM-DD, in the job's zone) on which it does not run.",
          ),
          h('label', { class: 'check' }, input('coalesce', { type: 'checkbox', checked: true }), ' Coalesce a backlog into one run'),
          job === null ? h('label', { class: 'check' }, input('paused', { type: 'checkbox' }), ' Start paused') : null,
        ),
      ),
      h('p', { class: 'error form-error', role: 'alert' }),
      h(
        'div',
        { class: 'buttons' },
        h('button', { type: 'button', text: 'Cancel', on: { click: () => this.dialog.close() } }),
        h('button', { type: 'submit', class: 'primary', text: job === null ? 'Add job' : 'Save changes' }),
      ),
    );

    fill(this.dialog, this.form);
    this.fill(job);
    this.el('presetTime').closest('.field').hidden = CRON_PRESETS.find((p) => p.value === this.el('preset').value)?.time !== true;
    this.showTriggerFields();
    openModal(this.dialog, this.el(job === null ? 'id' : 'name'));
    this.preview();
  }

  /** Only schedule fields change the preview. */
  onEdit(event) {
    if (event.target.name === 'expression') {
      // Typing an expression by hand: the preset list follows (a preset's own text, or "custom").
      const text = event.target.value.trim();
      this.el('preset').value = CRON_PRESETS.some((p) => p.value === text) ? text : '';
      this.el('presetTime').closest('.field').hidden = true;
    }
    const schedule = event.target.closest('.schedule-builder') !== null || ['id', 'excludeCalendars', 'excludeDates'].includes(event.target.name);
    if (schedule) this.schedulePreview();
  }

  el(name) {
    return this.form.elements.namedItem(name);
  }

  value(name) {
    return this.el(name).value.trim();
  }

  fill(job) {
    const set = (name, value) => {
      if (value !== undefined && value !== null) this.el(name).value = String(value);
    };
    const jobType = job?.trigger.type ?? 'cron';
    const type = jobType === 'or' || jobType === 'and' ? 'combined' : jobType;
    this.form.querySelector(`input[name="triggerType"][value="${type}"]`).checked = true;
    set('combined', JSON.stringify(type === 'combined' ? triggerSpec(job.trigger) : COMBINED_EXAMPLE, null, 2));
    if (job === null) {
      set('expression', '*/15 * * * *');
      this.el('preset').value = '*/15 * * * *';
      return;
    }
    set('name', job.name === job.task ? '' : job.name);
    if (job.exclude !== undefined) {
      set('excludeCalendars', job.exclude.calendars.join(', '));
      set('excludeDates', job.exclude.dates.join(', '));
    }
    set('task', job.task);
    if (job.args !== undefined) set('args', JSON.stringify(job.args, null, 2));
    const t = job.trigger;
    if (t.type === 'cron') {
      set('expression', t.expression);
      set('timezone', t.timezone);
      this.el('preset').value = CRON_PRESETS.some((p) => p.value === t.expression) ? t.expression : '';
    } else if (t.type === 'interval') {
      const [, unit] = [...UNITS].reverse().find(([, s]) => t.seconds % s === 0) ?? UNITS[0];
      set('every', t.seconds / unit);
      set('unit', unit);
    } else if (t.type === 'date') {
      set('runAt', toLocalInput(t.runAt));
    } else if (t.type === 'calendarInterval') {
      // The form has one unit: the largest set (a spec with several units is edited as it stands only here).
      const unit = [...CALENDAR_UNITS].reverse().find((u) => t[u] > 0) ?? 'days';
      set('calEvery', t[unit]);
      set('calUnit', unit);
      const pad = (n) => String(n).padStart(2, '0');
      set('calTime', `${pad(t.hour)}:${pad(t.minute)}:${pad(t.second)}`);
      set('calStart', t.startDate);
      set('calZone', t.timezone);
    }
    set('maxRuns', job.maxRuns);
    set('maxInstances', job.maxInstances);
    set('overlap', job.overlap ?? 'skip');
    this.el('misfireGraceTime').value = job.misfireGraceTime === null ? 'none' : String(job.misfireGraceTime);
    set('timeoutSeconds', job.timeoutSeconds);
    set('jitterSeconds', job.jitterSeconds);
    if (job.retries) {
      set('retriesMax', job.retries.max);
      set('retriesBackoff', job.retries.backoffSeconds);
    }
    this.el('coalesce').checked = job.coalesce;
  }

  triggerType() {
    return this.form.querySelector('input[name="triggerType"]:checked').value;
  }

  showTriggerFields() {
    const type = this.triggerType();
    for (const group of this.form.querySelectorAll('.trigger-fields')) group.hidden = group.dataset.type !== type;
  }

  applyPreset() {
    const preset = CRON_PRESETS.find((p) => p.value === this.el('preset').value);
    this.el('presetTime').closest('.field').hidden = preset?.time !== true;
    if (preset === undefined || preset.value === '') return;
    const [hour, minute] = (this.el('presetTime').value || '00:00').split(':').map(Number);
    this.el('expression').value = preset.time ? preset.value.replace('M', String(minute)).replace('H', String(hour)) : preset.value;
    this.schedulePreview();
  }

  /** The trigger spec the form describes. */
  trigger() {
    switch (this.triggerType()) {
      case 'cron': {
        const timezone = this.value('timezone');
        return { type: 'cron', expression: this.value('expression'), ...(timezone === '' ? {} : { timezone }) };
      }
      case 'interval':
        return { type: 'interval', seconds: Number(this.value('every')) * Number(this.el('unit').value) };
      case 'calendarInterval': {
        const [hour, minute, second] = (this.value('calTime') || '00:00').split(':').map(Number);
        const start = this.value('calStart');
        return {
          type: 'calendarInterval',
          [this.el('calUnit').value]: Number(this.value('calEvery')),
          hour,
          minute,
          second: second ?? 0,
          timezone: this.value('calZone') || (this.defaultTimezone() ?? 'UTC'),
          ...(start === '' ? {} : { startDate: start }),
        };
      }
      case 'combined': {
        try {
          return JSON.parse(this.value('combined'));
        } catch (error) {
          throw new Error(`Trigger: not valid JSON (${error.message}).`);
        }
      }
      default: {
        const local = this.value('runAt');
        return { type: 'date', runAt: local === '' ? '' : withOffset(local) };
      }
    }
  }

  async preview() {
    const seq = ++this.previewSeq;
    const status = this.form.querySelector('.preview-status');
    const list = this.form.querySelector('.preview-list');
    try {
      const trigger = this.trigger();
      // Cron's H is hashed from the job id: such an expression is previewed for the job's id (or the one
      // typed for a new job); without one the server says to give it.
      const jobId = trigger.type === 'cron' && USES_HASH.test(trigger.expression) ? (this.job?.id ?? this.value('id')) : '';
      const exclude = this.exclude();
      const answer = await post('schedules/preview', { trigger, count: 10, ...(jobId === '' ? {} : { jobId }), ...(exclude === undefined ? {} : { exclude }) });
      if (seq !== this.previewSeq) return;
      status.className = 'preview-status';
      status.textContent = answer.items.length === 0 ? 'No fire times ahead.' : `Next ${answer.items.length} fire times:`;
      fill(list, answer.items.length === 0 ? null : fireItems(answer.items, previewZone(trigger, this.defaultTimezone())));
    } catch (error) {
      if (seq !== this.previewSeq) return;
      status.className = 'preview-status error';
      status.textContent = error.message;
      fill(list);
    }
  }

  /** The exclude fields as the API takes them, or undefined when both are empty. */
  exclude() {
    const list = (name) =>
      this.value(name)
        .split(',')
        .map((x) => x.trim())
        .filter((x) => x !== '');
    const calendars = list('excludeCalendars');
    const dates = list('excludeDates');
    return calendars.length === 0 && dates.length === 0 ? undefined : { calendars, dates };
  }

  /** The job fields; throws a message for args that are not JSON. */
  fields() {
    const num = (name) => (this.value(name) === '' ? undefined : Number(this.value(name)));
    const out = {};
    const name = this.value('name');
    if (name !== '') out.name = name;
    out.task = this.el('task').value;
    const args = this.value('args');
    if (args !== '') {
      try {
        out.args = JSON.parse(args);
      } catch (error) {
        throw new Error(`Args: not valid JSON (${error.message}).`);
      }
    }
    out.trigger = this.trigger();
    if (num('maxInstances') !== undefined) out.maxInstances = num('maxInstances');
    out.overlap = this.el('overlap').value;
    const grace = this.value('misfireGraceTime');
    if (grace === 'none') out.misfireGraceTime = null;
    else if (grace !== '') out.misfireGraceTime = Number(grace);
    if (num('timeoutSeconds') !== undefined) out.timeoutSeconds = num('timeoutSeconds');
    if (num('jitterSeconds') !== undefined) out.jitterSeconds = num('jitterSeconds');
    if (num('retriesMax') !== undefined && num('retriesMax') > 0) {
      out.retries = { max: num('retriesMax'), ...(num('retriesBackoff') === undefined ? {} : { backoffSeconds: num('retriesBackoff') }) };
    }
    out.coalesce = this.el('coalesce').checked;
    // Empty: no limit (an edit that empties it lifts the limit, see changes()).
    if (num('maxRuns') !== undefined) out.maxRuns = num('maxRuns');
    const exclude = this.exclude();
    if (exclude !== undefined) out.exclude = exclude;
    return out;
  }

  /** For an edit: only what changed (a PATCH with the same trigger would re-anchor an interval). */
  changes(fields) {
    const job = this.job;
    const out = {};
    for (const [key, value] of Object.entries(fields)) {
      if (key === 'trigger') {
        if (!sameTrigger(value, job.trigger)) out.trigger = value;
      } else if (key === 'exclude') {
        // Compared on what the form edits; the one-off skips set elsewhere are kept.
        const before = job.exclude ?? { calendars: [], dates: [], skip: [] };
        if (JSON.stringify([value.calendars, value.dates]) !== JSON.stringify([before.calendars, before.dates])) out.exclude = { ...value, skip: before.skip };
      } else if (JSON.stringify(value) !== JSON.stringify(job[key])) out[key] = value;
    }
    if (fields.name === undefined && job.name !== job.task && fields.task === job.task) out.name = job.task;
    if (job.retries && fields.retries === undefined) out.retries = null;
    if (job.timeoutSeconds !== null && fields.timeoutSeconds === undefined) out.timeoutSeconds = null;
    if (job.maxRuns !== null && job.maxRuns !== undefined && fields.maxRuns === undefined) out.maxRuns = null;
    if (job.exclude !== undefined && fields.exclude === undefined) out.exclude = job.exclude.skip.length === 0 ? null : { skip: job.exclude.skip };
    return out;
  }

  async submit(event) {
    event.preventDefault();
    const errorBox = this.form.querySelector('.form-error');
    errorBox.textContent = '';
    for (const el of this.form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
    const submit = this.form.querySelector('button[type="submit"]');
    submit.disabled = true;
    try {
      const fields = this.fields();
      let job;
      if (this.job === null) {
        const id = this.value('id');
        job = await post('jobs', { ...(id === '' ? {} : { id }), ...fields, ...(this.el('paused').checked ? { paused: true } : {}) });
      } else {
        const changes = this.changes(fields);
        job = Object.keys(changes).length === 0 ? this.job : await patch(jobPath(this.job.id), changes);
      }
      this.dialog.close();
      this.onSaved(job, this.job === null);
    } catch (error) {
      errorBox.textContent = error.message;
      this.markInvalid(error.details ?? []);
    } finally {
      submit.disabled = false;
    }
  }

  /** Marks the inputs named by the server's error details (`body.maxInstances`, `trigger.expression`). */
  markInvalid(details) {
    for (const { path } of details) {
      const last = String(path).split('.').pop();
      const name = String(path).startsWith('trigger.triggers')
        ? 'combined'
        : ({
            seconds: 'every',
            max: 'retriesMax',
            backoffSeconds: 'retriesBackoff',
            years: 'calEvery',
            months: 'calEvery',
            weeks: 'calEvery',
            days: 'calEvery',
            hour: 'calTime',
            minute: 'calTime',
            second: 'calTime',
            startDate: 'calStart',
          }[last] ?? last);
      const el = this.el(name);
      if (el instanceof HTMLElement) el.setAttribute('aria-invalid', 'true');
    }
    this.form.querySelector('[aria-invalid="true"]')?.focus();
  }
}

/** The zone the preview's times are shown in: the trigger's own (cron, calendar interval), else the browser's. */
function previewZone(trigger, defaultZone) {
  if (trigger.type === 'cron') return trigger.timezone ?? defaultZone;
  return trigger.type === 'calendarInterval' ? trigger.timezone : undefined;
}

function sameTrigger(spec, current) {
  const c = triggerSpec(current);
  if (spec.type !== c.type) return false;
  // A calendar interval without a start day keeps its stored one (as an interval keeps its phase).
  if (spec.type === 'calendarInterval') return JSON.stringify(sorted({ startDate: c.startDate, ...spec })) === JSON.stringify(sorted(c));
  if (spec.type === 'or' || spec.type === 'and') return JSON.stringify(spec) === JSON.stringify(c);
  if (spec.type === 'cron') return spec.expression === c.expression && (spec.timezone ?? c.timezone) === c.timezone;
  if (spec.type === 'interval') return spec.seconds === c.seconds;
  return Date.parse(spec.runAt) === Date.parse(c.runAt);
}

/** "2026-12-01T09:00[:00]" in the browser's zone -> ISO with that day's offset ("+01:00"). */
function withOffset(local) {
  const date = new Date(local);
  if (Number.isNaN(date.getTime())) return local;
  const offset = -date.getTimezoneOffset();
  const sign = offset >= 0 ? '+' : '-';
  const abs = Math.abs(offset);
  const pad = (n) => String(n).padStart(2, '0');
  const base = local.length === 16 ? `${local}:00` : local;
  return `${base}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

function toLocalInput(iso) {
  const d = new Date(iso);
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** A flat spec with its keys sorted, for comparing two specs written in different orders. */
function sorted(spec) {
  return Object.fromEntries(Object.entries(spec).sort(([a], [b]) => a.localeCompare(b)));
}
