// The add/edit form of a notification target (PUT /api/v1/notifications/targets/:id), shown inside the
// notifications view. The server validates every field (the form is `novalidate`), so its messages are
// what the user sees. The secret is never returned by the API: editing without typing it again drops it.

import { api } from './api.js';
import { h } from './dom.js';

/** The server's events (src/notifications/targets.ts), in its order: the page has no build step to import them. */
export const NOTIFICATION_EVENTS = ['failing', 'overdue', 'paused', 'recovered', 'lost', 'missed'];

let formSeq = 0;

/** The URL path of a target. */
export const targetPath = (id) => `notifications/targets/${encodeURIComponent(id)}`;

/**
 * Builds the form for `target` (null: a new one). `onSaved(target, created)` after the server accepted it;
 * `onCancel()` when dismissed.
 */
export function targetForm(target, { onSaved, onCancel }) {
  const p = `t${++formSeq}-`;
  const input = (name, props = {}) => h('input', { id: `${p}${name}`, name, autocomplete: 'off', spellcheck: false, ...props });
  const field = (label, control, hint) =>
    h(
      'div',
      { class: 'field' },
      h('label', { htmlFor: control.id, text: label }),
      control,
      hint ? h('small', { class: 'hint', id: `${control.id}-hint`, text: hint }) : null,
    );
  const on = new Set(target?.on ?? NOTIFICATION_EVENTS);
  const error = h('p', { class: 'error form-error', role: 'alert' });
  const form = h(
    'form',
    { noValidate: true, class: 'job-form target-form', attrs: { 'aria-labelledby': `${p}title` }, on: { submit: (event) => submit(event) } },
    h('h3', { id: `${p}title`, text: target === null ? 'Add a target' : `Edit target ${target.id}` }),
    h(
      'div',
      { class: 'form-grid' },
      field('Id', input('id', { value: target?.id ?? '', readOnly: target !== null, maxLength: 200 }), target === null ? 'Letters, digits, . _ : -' : null),
      field(
        'URL',
        input('url', { type: 'url', value: target?.url ?? '', placeholder: 'https://hooks.example.com/tickwork', maxLength: 2000 }),
        'http or https; the JSON is POSTed to it.',
      ),
      field(
        'Secret',
        input('secret', { type: 'password', maxLength: 500 }),
        target?.hasSecret
          ? 'A secret is set but never shown: type it again to keep it, or leave empty for none.'
          : '16-500 characters; signs each body. Empty: unsigned.',
      ),
      field(
        'Jobs',
        input('jobs', { value: target?.jobs?.join(', ') ?? '', placeholder: 'every job' }),
        'Job ids or patterns with *, separated by commas. Empty: every job.',
      ),
    ),
    h(
      'fieldset',
      { class: 'events' },
      h('legend', { text: 'Events' }),
      NOTIFICATION_EVENTS.map((event) =>
        h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'on', value: event, checked: on.has(event) }), ` ${event}`),
      ),
    ),
    error,
    h(
      'div',
      { class: 'buttons' },
      h('button', { type: 'button', text: 'Cancel', on: { click: () => onCancel() } }),
      h('button', { type: 'submit', class: 'primary', text: target === null ? 'Add target' : 'Save target' }),
    ),
  );

  async function submit(event) {
    event.preventDefault();
    error.textContent = '';
    for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
    const id = form.elements.id.value.trim();
    if (id === '') {
      error.textContent = 'Type an id for the target.';
      form.elements.id.setAttribute('aria-invalid', 'true');
      form.elements.id.focus();
      return;
    }
    const secret = form.elements.secret.value;
    const jobs = form.elements.jobs.value
      .split(/[\s,]+/)
      .map((s) => s.trim())
      .filter((s) => s !== '');
    const body = {
      url: form.elements.url.value.trim(),
      on: [...form.querySelectorAll('input[name="on"]:checked')].map((box) => box.value),
      ...(secret === '' ? {} : { secret }),
      ...(jobs.length === 0 ? {} : { jobs }),
    };
    const button = form.querySelector('button[type="submit"]');
    button.disabled = true;
    try {
      const saved = await api('PUT', targetPath(id), body);
      onSaved(saved, target === null);
    } catch (failure) {
      error.textContent = failure.message;
      for (const { path } of failure.details ?? []) {
        // `body.on[1]` names the events, `body.jobs[0]` the jobs field, `params.id` the id.
        const name = String(path)
          .replace(/^(body|params)\./, '')
          .replace(/\[\d+\]$/, '');
        const el = name === 'on' ? form.querySelector('.events') : form.elements[name];
        if (el instanceof HTMLElement) el.setAttribute('aria-invalid', 'true');
      }
      form.querySelector('[aria-invalid="true"]:not(fieldset)')?.focus();
    } finally {
      button.disabled = false;
    }
  }

  return form;
}
