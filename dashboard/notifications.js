// The notifications view, a modal dialog opened from the header: the targets (GET /notifications/targets)
// with add, edit and remove for admin keys, and the recent deliveries (GET /notifications/deliveries),
// newest first, filterable by target and paged with nextCursor. While open it refreshes on job events
// (a transition queues a delivery) and every few seconds (attempts change with no event).

import { del, get } from './api.js';
import { confirmDialog, openModal } from './dialogs.js';
import { deliveriesTable } from './deliveries.js';
import { fill, h } from './dom.js';
import { targetForm, targetPath } from './target-form.js';

const PAGE = 50;
const MIN_REFRESH_MS = 1000;
const POLL_MS = 5000;

export class NotificationsView {
  /** `isAdmin()` decides whether controls are shown; `onOpenJob(id)` opens a job; `report(error)` shows a failure. */
  constructor(dialog, { isAdmin, onOpenJob, report }) {
    this.dialog = dialog;
    this.isAdmin = isAdmin;
    this.onOpenJob = onOpenJob;
    this.report = report;
    this.targets = null;
    this.deliveries = [];
    this.cursor = null;
    this.targetFilter = '';
    this.editing = undefined;
    this.form = null;
    this.seq = 0;
    this.lastRefresh = 0;
    this.refreshTimer = null;
    this.pollTimer = null;
    dialog.addEventListener('close', () => {
      clearTimeout(this.refreshTimer);
      clearInterval(this.pollTimer);
      this.refreshTimer = null;
      this.editing = undefined;
      this.form = null;
    });
  }

  async open() {
    fill(this.dialog, h('p', { class: 'muted', text: 'Loading notifications…' }));
    openModal(this.dialog);
    this.pollTimer = setInterval(() => this.markDirty(), POLL_MS);
    await this.refresh();
    this.dialog.querySelector('.close')?.focus();
  }

  /** Refreshes soon: at most once a second however many events arrive. */
  markDirty() {
    if (!this.dialog.open || this.refreshTimer !== null) return;
    const wait = Math.max(0, this.lastRefresh + MIN_REFRESH_MS - Date.now());
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = null;
      this.refresh().catch(this.report);
    }, wait);
  }

  /** Reloads the targets and as many deliveries as are shown (at least one page). */
  async refresh() {
    this.lastRefresh = Date.now();
    const limit = Math.min(1000, Math.max(PAGE, this.deliveries.length));
    const seq = ++this.seq;
    const [targets, page] = await Promise.all([get('notifications/targets'), get(this.deliveriesPath(limit, null))]);
    // A newer refresh, an older page or another filter came meanwhile: this answer is stale.
    if (!this.dialog.open || seq !== this.seq) return;
    this.targets = targets.items;
    this.deliveries = page.items;
    this.cursor = page.nextCursor;
    this.render();
  }

  deliveriesPath(limit, cursor) {
    const params = new URLSearchParams({ limit: String(limit) });
    if (this.targetFilter !== '') params.set('targetId', this.targetFilter);
    if (cursor !== null) params.set('cursor', cursor);
    return `notifications/deliveries?${params}`;
  }

  async loadOlder(button) {
    if (this.cursor === null) return;
    button.disabled = true;
    const seq = ++this.seq;
    try {
      const page = await get(this.deliveriesPath(PAGE, this.cursor));
      if (seq !== this.seq) return;
      this.deliveries = this.deliveries.concat(page.items);
      this.cursor = page.nextCursor;
      this.render();
    } catch (error) {
      button.disabled = false;
      this.report(error);
    }
  }

  filterBy(targetId) {
    this.targetFilter = targetId;
    this.deliveries = [];
    this.cursor = null;
    this.refresh().catch(this.report);
  }

  /** `target` to edit, null to add one, undefined to close the form. */
  edit(target) {
    this.editing = target;
    // Built once per opening: it keeps what was typed while the lists refresh around it.
    this.form =
      target === undefined
        ? null
        : targetForm(target, {
            onSaved: (saved) => {
              this.editing = undefined;
              this.form = null;
              this.refresh()
                // Target ids are [A-Za-z0-9._:-]: nothing to escape inside a quoted attribute value.
                .then(() => this.dialog.querySelector(`[data-target-id="${saved.id}"]`)?.focus())
                .catch(this.report);
            },
            onCancel: () => this.edit(undefined),
          });
    this.render();
    this.dialog.querySelector('.target-form input:not([readonly])')?.focus();
  }

  async remove(target) {
    const ok = await confirmDialog({
      title: `Remove target ${target.id}?`,
      text: `The target "${target.id}" and its deliveries will be deleted: nothing more is sent to ${target.url}.`,
      ok: 'Remove',
    });
    if (!ok) return;
    try {
      await del(targetPath(target.id));
      if (this.targetFilter === target.id) this.targetFilter = '';
      await this.refresh();
    } catch (error) {
      this.report(error);
    }
  }

  render() {
    const focusKey = this.dialog.contains(document.activeElement) ? document.activeElement.dataset?.focusKey : undefined;
    fill(
      this.dialog,
      h(
        'header',
        { class: 'dialog-header' },
        h('h2', { id: 'notifications-title', text: 'Notifications' }),
        h('button', {
          type: 'button',
          class: 'close',
          text: '×',
          dataset: { focusKey: 'close' },
          attrs: { 'aria-label': 'Close notifications' },
          on: { click: () => this.dialog.close() },
        }),
      ),
      h(
        'section',
        { attrs: { 'aria-labelledby': 'targets-title' } },
        h('h3', { id: 'targets-title', text: 'Targets' }),
        this.targetTable(),
        this.isAdmin() && this.editing === undefined
          ? h(
              'div',
              { class: 'buttons detail-actions' },
              h('button', { type: 'button', class: 'primary', text: 'Add target', dataset: { focusKey: 'add-target' }, on: { click: () => this.edit(null) } }),
            )
          : null,
        this.form,
      ),
      h(
        'section',
        { attrs: { 'aria-labelledby': 'deliveries-title' } },
        h('h3', { id: 'deliveries-title', text: 'Recent deliveries' }),
        this.filter(),
        this.deliveries.length === 0
          ? h('p', { class: 'muted', text: 'No deliveries yet: one is queued when a job changes health (or loses or misses a run) and a target wants it.' })
          : deliveriesTable(this.deliveries, { onOpenJob: this.onOpenJob }),
        this.cursor === null
          ? null
          : h('button', {
              type: 'button',
              text: 'Load older deliveries',
              dataset: { focusKey: 'older' },
              on: { click: (e) => this.loadOlder(e.currentTarget) },
            }),
      ),
    );
    if (focusKey !== undefined && !this.dialog.contains(document.activeElement)) this.dialog.querySelector(`[data-focus-key="${focusKey}"]`)?.focus();
  }

  targetTable() {
    if (this.targets.length === 0) return h('p', { class: 'muted', text: 'No targets: nothing is sent.' });
    const admin = this.isAdmin();
    const columns = ['Id', 'URL', 'Events', 'Jobs', 'Signed', 'Source', ...(admin ? ['Actions'] : [])];
    const cell = (label, ...content) => h('td', { attrs: { 'data-label': label } }, ...content);
    return h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { class: 'runs targets' },
        h('caption', { class: 'visually-hidden', text: 'Notification targets' }),
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            columns.map((t) => h('th', { scope: 'col', text: t })),
          ),
        ),
        h(
          'tbody',
          {},
          this.targets.map((t) =>
            h(
              'tr',
              { dataset: { id: t.id } },
              cell('Id', h('strong', { text: t.id })),
              cell('URL', h('code', { class: 'target-url', text: t.url })),
              cell('Events', t.on.join(', ')),
              cell('Jobs', t.jobs === null ? 'every job' : t.jobs.join(', ')),
              cell('Signed', t.hasSecret ? 'yes' : 'no'),
              cell('Source', t.source === 'config' ? h('span', { title: 'Set by the config module: written again at every start.', text: 'config' }) : 'api'),
              admin
                ? cell(
                    'Actions',
                    h(
                      'div',
                      { class: 'row-actions' },
                      h('button', {
                        type: 'button',
                        class: 'small',
                        text: 'Edit',
                        dataset: { targetId: t.id, focusKey: `edit-${t.id}` },
                        attrs: { 'aria-label': `Edit target ${t.id}` },
                        on: { click: () => this.edit(t) },
                      }),
                      h('button', {
                        type: 'button',
                        class: 'small danger',
                        text: 'Remove',
                        attrs: { 'aria-label': `Remove target ${t.id}` },
                        on: { click: () => this.remove(t) },
                      }),
                    ),
                  )
                : null,
            ),
          ),
        ),
      ),
    );
  }

  filter() {
    if (this.targets.length === 0) return null;
    const select = h(
      'select',
      { id: 'deliveries-target', dataset: { focusKey: 'deliveries-target' }, on: { change: (e) => this.filterBy(e.currentTarget.value) } },
      h('option', { value: '', text: 'all targets' }),
      this.targets.map((t) => h('option', { value: t.id, text: t.id })),
    );
    select.value = this.targetFilter;
    return h('p', { class: 'deliveries-filter' }, h('label', { htmlFor: 'deliveries-target', text: 'Target ' }), select);
  }
}
