// The dashboard's entry point: finds out who we are (GET /whoami, asking for a key on 401), loads the
// scheduler state and the jobs table, and applies live events in batches: events are only queued as they
// arrive; a flush every FLUSH_MS refetches the affected rows (or the whole page when many changed), so
// 100 events a second cost a few requests and one small redraw, not 100.

import { ApiError, del, forgetKey, get, jobPath, post, requestKey, setKeyPrompt, storedKey } from './api.js';
import { confirmDialog, installKeyDialogGuard, keyDialog } from './dialogs.js';
import { connectEvents } from './events.js';
import { JobDetail } from './job-detail.js';
import { JobForm } from './job-form.js';
import { JobsTable } from './jobs-table.js';
import { NotificationsView } from './notifications.js';
import { downloadExport, ImportView } from './transfer.js';
import { HEALTH_FILTERS } from './health.js';
import { debounce } from './dom.js';

const FLUSH_MS = 250;
/** Above this many changed rows on the page, one page request is cheaper than one request per row. */
const ROW_FETCH_LIMIT = 6;
const STATUS_MIN_MS = 1000;
/** Failed runs are announced to screen readers as one summary at most this often. */
const FAILURE_ANNOUNCE_MS = 10_000;
const FAILURE_EVENTS = new Set(['job_error', 'job_timed_out', 'job_lost', 'job_missed']);
const $ = (id) => document.getElementById(id);

const state = {
  role: null,
  via: null,
  taskNames: [],
  status: null,
  dirty: new Set(),
  removed: new Set(),
  pageStale: false,
  statusStale: false,
  lastStatus: 0,
  flushing: false,
  events: 0,
  failures: new Set(),
  lastFailureAnnounce: 0,
};
const isAdmin = () => state.role === 'admin';

function announce(message) {
  // Cleared first so that the same message twice is announced twice.
  const el = $('announcer');
  el.textContent = '';
  requestAnimationFrame(() => {
    el.textContent = message;
  });
}

let toastTimer = null;
function toast(message) {
  const el = $('toast');
  el.textContent = message;
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => {
    el.hidden = true;
  }, 8000);
}

const table = new JobsTable({
  table: $('jobs-table'),
  empty: $('jobs-empty'),
  pageInfo: $('page-info'),
  prev: $('prev-page'),
  next: $('next-page'),
  onOpen: (id) => openJob(id),
  onAction: (action, job) => act(action, job),
  isAdmin,
});
const detail = new JobDetail($('detail-dialog'), { onAction: (action, job) => act(action, job), isAdmin });
const notifications = new NotificationsView($('notifications-dialog'), { isAdmin, onOpenJob: (id) => openJob(id), report });
const form = new JobForm($('form-dialog'), {
  tasks: () => [...state.taskNames],
  defaultTimezone: () => state.status?.timezone,
  onSaved: (job, created) => {
    announce(created ? `Job ${job.id} added.` : `Job ${job.id} saved.`);
    if (created) table.load().catch(report);
    else {
      table.update(job);
      detail.show(job);
    }
  },
});

const importer = new ImportView($('transfer-dialog'), {
  onApplied: () => {
    announce('Import applied.');
    table.load().catch(report);
    loadStatus().catch(report);
  },
});

async function exportJobs() {
  try {
    const n = await downloadExport();
    announce(`Exported ${n} job${n === 1 ? '' : 's'}.`);
  } catch (error) {
    report(error);
  }
}

/** Opens a job's view and keeps it in the address (?job=), as a notification's link does. */
function openJob(id) {
  const opening = detail.open(id);
  writeFiltersToUrl();
  return opening.catch(report);
}

function report(error) {
  console.warn('tickwork:', error);
  toast(error instanceof ApiError ? error.message : `Request failed: ${error.message}`);
}

/** Runs a row or detail action; the row is updated from the answer (and later by the events). */
async function act(action, job) {
  try {
    switch (action) {
      case 'pause':
      case 'resume': {
        const answer = await post(`${jobPath(job.id)}/${action}`);
        if (answer?.removed) {
          table.remove(job.id);
          detail.removed(job.id);
          announce(answer.message);
        } else {
          table.update(answer);
          detail.show(answer);
          announce(`Job ${job.id} ${action === 'pause' ? 'paused' : 'resumed'}.`);
        }
        break;
      }
      case 'run': {
        const answer = await post(`${jobPath(job.id)}/run`);
        table.update(answer);
        detail.show(answer);
        announce(`Job ${job.id} started.`);
        break;
      }
      case 'cancel': {
        const answer = await post(`${jobPath(job.id)}/cancel`);
        announce(`Cancelled ${answer.cancelled} running run${answer.cancelled === 1 ? '' : 's'} of ${job.id}.`);
        detail.markDirty();
        break;
      }
      case 'edit':
        form.open(job);
        break;
      case 'remove': {
        const ok = await confirmDialog({
          title: `Remove ${job.id}?`,
          text: `The job "${job.id}" and its run history will be deleted. This cannot be undone.`,
          ok: 'Remove',
        });
        if (!ok) return;
        await del(jobPath(job.id));
        table.remove(job.id);
        detail.removed(job.id);
        if (detail.dialog.open) detail.dialog.close();
        announce(`Job ${job.id} removed.`);
        break;
      }
      default:
        throw new Error(`unknown action ${action}`);
    }
  } catch (error) {
    report(error);
  }
}

async function loadStatus() {
  state.lastStatus = Date.now();
  state.statusStale = false;
  const status = await get('scheduler');
  state.status = status;
  const badge = $('scheduler-state');
  badge.textContent = `scheduler ${status.state}`;
  badge.className = `badge scheduler-${status.state}`;
  $('scheduler-stats').textContent = `${status.jobs.toLocaleString()} jobs · ${status.runningRuns} running · ${status.timezone}`;
  const toggle = $('scheduler-toggle');
  toggle.hidden = !isAdmin() || (status.state !== 'running' && status.state !== 'paused');
  toggle.textContent = status.state === 'paused' ? 'Resume scheduler' : 'Pause scheduler';
  table.setTotal(status.jobs);
}

async function toggleScheduler() {
  const paused = state.status?.state === 'paused';
  try {
    state.status = await post(`scheduler/${paused ? 'resume' : 'pause'}`);
    await loadStatus();
    announce(paused ? 'Scheduler resumed.' : 'Scheduler paused: no job fires until it is resumed.');
  } catch (error) {
    report(error);
  }
}

function onEvent(name, data) {
  if (name === 'missed') {
    // The server restarted or its replay buffer overflowed: what we show may be stale, reload it.
    state.pageStale = true;
    state.statusStale = true;
    if (detail.id !== null) detail.markDirty();
    return;
  }
  state.events++;
  if (name.startsWith('scheduler_')) state.statusStale = true;
  else if (name === 'job_removed') state.removed.add(data.jobId);
  else if (name === 'job_added') state.pageStale = true;
  else if (typeof data?.jobId === 'string') state.dirty.add(data.jobId);
  if (FAILURE_EVENTS.has(name)) state.failures.add(data.jobId);
  // A run recorded or a job changed may have queued a notification.
  if (notifications.dialog.open && name.startsWith('job_')) notifications.markDirty();
  if (name === 'job_added' || name === 'job_removed' || name === 'job_submitted' || name === 'job_executed' || name === 'job_error') state.statusStale = true;
}

/** Applies the queued events; one flush at a time, so a slow server slows the updates, not the page. */
async function flush() {
  $('live').dataset.events = String(state.events);
  if (state.flushing) return;
  state.flushing = true;
  try {
    for (const id of state.removed) {
      table.remove(id);
      detail.removed(id);
      state.dirty.delete(id);
    }
    state.removed.clear();
    const visible = [...state.dirty].filter((id) => table.has(id));
    if (detail.id !== null && state.dirty.has(detail.id)) detail.markDirty();
    state.dirty.clear();
    if (state.pageStale || visible.length > ROW_FETCH_LIMIT) {
      state.pageStale = false;
      await table.load();
    } else if (visible.length > 0) {
      const jobs = await Promise.all(
        visible.map((id) =>
          get(jobPath(id)).catch((error) => {
            if (error.code === 'JOB_NOT_FOUND') table.remove(id);
            else throw error;
            return null;
          }),
        ),
      );
      for (const job of jobs) if (job !== null) table.update(job);
    }
    if (state.statusStale && Date.now() - state.lastStatus >= STATUS_MIN_MS) await loadStatus();
    announceFailures();
  } catch (error) {
    report(error);
  } finally {
    state.flushing = false;
  }
}

/** A polite summary of the jobs whose runs failed, missed or were lost since the last one. */
function announceFailures() {
  if (state.failures.size === 0 || Date.now() - state.lastFailureAnnounce < FAILURE_ANNOUNCE_MS) return;
  const ids = [...state.failures];
  state.failures.clear();
  state.lastFailureAnnounce = Date.now();
  const names = ids.slice(0, 3).join(', ') + (ids.length > 3 ? ` and ${ids.length - 3} more` : '');
  announce(`Runs did not succeed for ${ids.length === 1 ? 'job' : `${ids.length} jobs`}: ${names}.`);
}

function setLive(kind, info) {
  const live = $('live');
  live.dataset.state = kind;
  live.textContent = kind === 'open' ? 'live' : kind === 'retrying' ? `reconnecting in ${Math.round(info.inMs / 1000)} s…` : 'connecting…';
  if (kind === 'open' && info.reconnected) {
    // Events may have been lost beyond the server's replay buffer: take a fresh look.
    state.pageStale = true;
    state.statusStale = true;
  }
}

function readFiltersFromUrl() {
  const params = new URLSearchParams(location.search);
  const filters = $('filters');
  const query = {};
  if (params.has('q')) query.q = filters.elements.q.value = params.get('q');
  if (['active', 'paused', 'failing'].includes(params.get('state'))) query.state = filters.elements.state.value = params.get('state');
  if (HEALTH_FILTERS.includes(params.get('health'))) query.health = filters.elements.health.value = params.get('health');
  if (['id', 'nextRunTime', 'lastRun'].includes(params.get('sort'))) query.sort = params.get('sort');
  if (['25', '50', '100', '200'].includes(params.get('limit'))) query.limit = Number((filters.elements.limit.value = params.get('limit')));
  Object.assign(table.query, query);
  table.renderSortState();
  // A notification's link (`?job=<id>`) opens that job's view once the page has loaded.
  return params.get('job') || null;
}

/**
 * Keeps the filters, and the job whose view is open, in the address (replaceState: no navigation), so a
 * reload shows the same view.
 */
function writeFiltersToUrl() {
  const params = new URLSearchParams();
  const { q, state: s, health, sort, limit } = table.query;
  if (q !== '') params.set('q', q);
  if (s !== '') params.set('state', s);
  if (health !== '') params.set('health', health);
  if (sort !== 'id') params.set('sort', sort);
  if (limit !== 50) params.set('limit', String(limit));
  if (detail.id !== null && detail.dialog.open) params.set('job', detail.id);
  const search = params.toString();
  history.replaceState(null, '', search === '' ? location.pathname : `?${search}`);
}

function wireControls() {
  const filters = $('filters');
  const apply = () => {
    table
      .setQuery({
        q: filters.elements.q.value.trim(),
        state: filters.elements.state.value,
        health: filters.elements.health.value,
        limit: Number(filters.elements.limit.value),
      })
      .then(writeFiltersToUrl)
      .catch(report);
  };
  filters.addEventListener('submit', (event) => {
    event.preventDefault();
    apply();
  });
  filters.elements.q.addEventListener('input', debounce(apply, 250));
  filters.elements.state.addEventListener('change', apply);
  filters.elements.health.addEventListener('change', apply);
  filters.elements.limit.addEventListener('change', apply);
  $('jobs-table').tHead.addEventListener('click', () => queueMicrotask(writeFiltersToUrl));
  $('add-job').addEventListener('click', () => form.open());
  $('open-notifications').addEventListener('click', () => notifications.open().catch(report));
  // The job view's own close handler runs first and forgets its id: the address loses ?job=.
  detail.dialog.addEventListener('close', writeFiltersToUrl);
  $('scheduler-toggle').addEventListener('click', toggleScheduler);
  $('export-jobs').addEventListener('click', exportJobs);
  $('import-jobs').addEventListener('click', () => importer.open());
  $('change-key').addEventListener('click', async () => {
    forgetKey();
    await requestKey('Enter another API key.');
    location.reload();
  });
}

async function start() {
  installKeyDialogGuard();
  setKeyPrompt(keyDialog);
  wireControls();
  const linkedJob = readFiltersFromUrl();
  const who = await get('whoami');
  state.role = who.role;
  state.via = who.via;
  $('role').textContent = who.via === 'loopback' ? 'admin (loopback, no key)' : `${who.role} key`;
  $('change-key').hidden = storedKey() === null;
  $('add-job').hidden = !isAdmin();
  // Definitions hold args: the export and import routes are for admin keys only.
  $('export-jobs').hidden = !isAdmin();
  $('import-jobs').hidden = !isAdmin();
  document.body.dataset.role = who.role;
  const [tasks] = await Promise.all([get('tasks'), table.load(), loadStatus()]);
  state.taskNames = tasks.items.map((t) => t.name);
  if (linkedJob !== null) openJob(linkedJob);
  connectEvents({ onEvent, onState: setLive });
  setInterval(flush, FLUSH_MS);
  setInterval(() => {
    const now = Date.now();
    table.tick(now);
    detail.tick(now);
  }, 1000);
}

start().catch((error) => {
  report(error);
  $('page-info').textContent = `Could not load: ${error.message}`;
});
