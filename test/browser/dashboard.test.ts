/**
 * The dashboard in real headless Chromium against a real server: the table, the add/edit form with its
 * live preview, actions and live updates over SSE (without reloads), monitor keys, and server errors.
 * Every wait is for a condition under a deadline, never a fixed sleep.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { until } from '../helpers.js';
import { installOtel } from '../tracing/otel-fixture.js';
import { dashboardSession, nextUtc, row, screenshot, type DashboardServer } from './browser-helpers.js';

/**
 * The little of the DOM that page-side callbacks use (they run in the browser; this project type-checks
 * without the DOM library). String conditions cannot be used: the page's CSP forbids eval.
 */
interface PageElement {
  textContent: string | null;
  getAttribute(name: string): string | null;
}
declare const document: { querySelector(selector: string): PageElement | null; querySelectorAll(selector: string): { length: number } };

const session = await dashboardSession();
const browser = session.browser;
const open = (s: DashboardServer, viewport?: { width: number; height: number }): Promise<Page> => session.open(s, '', viewport);
/** The server the running test started (closed by the session after it). */
let server: DashboardServer | undefined;

async function seed(s: DashboardServer): Promise<void> {
  await s.scheduler.addJob({
    id: 'nightly-backup',
    name: 'Nightly backup',
    task: 'noop',
    trigger: { type: 'cron', expression: '30 2 * * 1-5', timezone: 'Europe/Berlin' },
  });
  await s.scheduler.addJob({ id: 'poll-feed', task: 'noop', trigger: { type: 'interval', seconds: 900 } });
  await s.scheduler.addJob({ id: 'report', task: 'fail', trigger: { type: 'cron', expression: '0 9 * * *' }, paused: true });
}

/** Waits for the event stream to be connected (events before that are not replayed to a new page). */
async function live(page: Page): Promise<void> {
  await page.locator('#live[data-state="open"]').waitFor();
}

/** The second Sunday of March next year minus three days: ten daily fires from then cross US spring-forward. */
function beforeUsSpringForward(now: number): { start: string; gapDay: string } {
  const year = new Date(now).getUTCFullYear() + 1;
  const march1 = new Date(Date.UTC(year, 2, 1)).getUTCDay();
  const secondSunday = 1 + ((7 - march1) % 7) + 7;
  const pad = (n: number) => String(n).padStart(2, '0');
  return { start: `${year}-03-${pad(secondSunday - 3)}T12:00:00Z`, gapDay: `${year}-03-${pad(secondSunday)}` };
}

describe.skipIf(browser === null)('dashboard', () => {
  it('serves the page without a key, with a strict CSP, and shows the seeded jobs with schedules in words', async () => {
    server = await session.start({ adminKeys: ['admin-secret-0123456789'], monitorKeys: [] });
    await seed(server);
    const response = await fetch(server.url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-security-policy')).toMatch(/default-src 'none'.*script-src 'self'/);
    expect((await fetch(`${server.url}api/v1/jobs`)).status).toBe(401); // the API still needs the key
    await server.app.close();

    server = await session.start();
    await seed(server);
    await server.scheduler.addJob({
      id: 'invoice-run',
      name: 'Monthly invoices',
      task: 'noop',
      trigger: { type: 'cron', expression: '0 6 1 * *', timezone: 'Europe/London' },
    });
    await server.scheduler.addJob({ id: 'cache-warmup', task: 'noop', trigger: { type: 'interval', seconds: 30 } });
    await server.scheduler.runJobNow('cache-warmup');
    await server.scheduler.runJobNow('report');
    const page = await open(server);
    await row(page, 'report').waitFor();
    expect(await row(page, 'report').locator('.last-run').textContent()).toContain('failed');
    expect(await row(page, 'cache-warmup').locator('.last-run').textContent()).toContain('succeeded');
    expect(await row(page, 'nightly-backup').locator('.schedule').textContent()).toBe('at 02:30 on Monday to Friday, Europe/Berlin');
    expect(await row(page, 'poll-feed').locator('.schedule').textContent()).toBe('every 15 minutes');
    expect(await row(page, 'report').locator('.state').textContent()).toContain('paused');
    expect(await row(page, 'report').locator('.next-run').textContent()).toBe('paused');
    // The countdown is live: it changes without any request.
    const countdown = row(page, 'poll-feed').locator('.next-run time');
    const before = await countdown.textContent();
    expect(before).toMatch(/^in 1[45] min/);
    await page.waitForFunction((text) => document.querySelector('tr[data-id="poll-feed"] .next-run time')?.textContent !== text, before);
    expect(await page.locator('#page-info').textContent()).toBe('Jobs 1–5 of 5');
    // Filters and sort go to the server.
    await page.getByLabel('Search').fill('INVOICE');
    await page.locator('#page-info', { hasText: 'Jobs 1–1' }).waitFor();
    expect(await page.locator('#jobs-table tbody tr').count()).toBe(1);
    await page.getByLabel('Search').fill('');
    await page.locator('#page-info', { hasText: 'Jobs 1–5' }).waitFor();
    await page.getByRole('button', { name: 'Next run' }).click();
    await page.locator('th[data-sort="nextRunTime"][aria-sort="ascending"]').waitFor();
    await page.waitForFunction(() => document.querySelector('#jobs-table tbody tr')?.getAttribute('data-id') === 'cache-warmup');
    expect(await page.evaluate('location.search')).toBe('?sort=nextRunTime');
    await page.getByLabel('State').selectOption('paused');
    await page.waitForFunction(() => document.querySelectorAll('#jobs-table tbody tr').length === 1);
    expect(await page.locator('#jobs-table tbody tr').getAttribute('data-id')).toBe('report');
    await page.getByLabel('State').selectOption('');
    await page.locator('#page-info', { hasText: 'Jobs 1–5' }).waitFor();
    await screenshot(page, 'table');
  });

  it('adds a cron job through the form with a live preview, and shows it with the right next run', async () => {
    server = await session.start();
    await seed(server);
    const page = await open(server);
    await row(page, 'report').waitFor();
    await page.getByRole('button', { name: 'Add job' }).click();
    const form = page.locator('#form-dialog');
    await form.getByLabel('Job id', { exact: true }).fill('daily-digest');
    await form.getByLabel('Task', { exact: true }).selectOption('noop');
    await form.getByLabel('Preset', { exact: true }).selectOption({ label: 'every day at…' });
    await form.getByLabel('At', { exact: true }).fill('09:00');
    await form.getByLabel('Time zone', { exact: true }).fill('UTC');
    expect(await form.getByLabel('Expression', { exact: true }).inputValue()).toBe('0 9 * * *');
    const expected = nextUtc(Date.now(), 9, 0).toISOString();
    await page.waitForFunction(
      (first) =>
        document.querySelectorAll('#form-dialog .preview-list li').length === 10 &&
        document.querySelector('#form-dialog .preview-list time')?.getAttribute('datetime') === first,
      expected,
    );
    await screenshot(page, 'add-form');
    await form.getByRole('button', { name: 'Add job' }).click();
    await row(page, 'daily-digest').waitFor();
    expect(await form.isVisible()).toBe(false);
    expect(await row(page, 'daily-digest').locator('.next-run time').getAttribute('datetime')).toBe(expected);
    expect(await row(page, 'daily-digest').locator('.schedule').textContent()).toBe('at 09:00 every day, UTC');
    expect((await server.scheduler.getJob('daily-digest'))?.nextRunTime?.toISOString()).toBe(expected);
    // The focus went back to the button that opened the form.
    expect(await page.evaluate('document.activeElement.id')).toBe('add-job');
  });

  it('offers the day-rule and H presets; the preview of H uses the typed job id, and the job runs at those times', async () => {
    server = await session.start();
    await seed(server);
    const page = await open(server);
    await row(page, 'report').waitFor();
    await page.getByRole('button', { name: 'Add job' }).click();
    const form = page.locator('#form-dialog');
    await form.getByLabel('Task', { exact: true }).selectOption('noop');
    await form.getByLabel('Time zone', { exact: true }).fill('UTC');
    await form.getByLabel('Preset', { exact: true }).selectOption({ label: 'the last Friday of each month at…' });
    await form.getByLabel('At', { exact: true }).fill('09:00');
    expect(await form.getByLabel('Expression', { exact: true }).inputValue()).toBe('0 9 * * 5L');
    await page.waitForFunction(() => document.querySelectorAll('#form-dialog .preview-list li').length === 10);
    // H without a job id: the preview says to give one; with the id typed, it lists that job's times.
    await form.getByLabel('Preset', { exact: true }).selectOption({ label: 'once a night, at a time hashed from the job id (H)' });
    await form.locator('.preview-status.error', { hasText: 'pass jobId' }).waitFor();
    await form.getByLabel('Job id', { exact: true }).fill('backup');
    const expected = nextUtc(Date.now(), 4, 28).toISOString(); // backup: 04:28 (test/cron/hash.test.ts)
    await page.waitForFunction((first) => document.querySelector('#form-dialog .preview-list time')?.getAttribute('datetime') === first, expected);
    await form.getByRole('button', { name: 'Add job' }).click();
    await row(page, 'backup').waitFor();
    expect(await row(page, 'backup').locator('.next-run time').getAttribute('datetime')).toBe(expected);
    expect(await row(page, 'backup').locator('.schedule').textContent()).toBe('at 04:28 every day, UTC');
  });

  it('pauses, runs now and removes jobs, and follows server-side changes over SSE without reloading', async () => {
    server = await session.start();
    await seed(server);
    const page = await open(server);
    await row(page, 'report').waitFor();
    await live(page);
    await page.evaluate('window.sameDocumentMarker = 42');

    // Through the page.
    await row(page, 'poll-feed').getByRole('button', { name: 'Pause poll-feed' }).click();
    await row(page, 'poll-feed').locator('.state', { hasText: 'paused' }).waitFor();
    expect((await server.scheduler.getJob('poll-feed'))?.paused).toBe(true);
    await row(page, 'poll-feed').getByRole('button', { name: 'Run now poll-feed' }).click();
    await row(page, 'poll-feed').locator('.last-run', { hasText: 'succeeded' }).waitFor();
    await row(page, 'nightly-backup').getByRole('button', { name: 'Remove nightly-backup' }).click();
    await page.locator('#confirm-dialog').getByRole('button', { name: 'Remove' }).click();
    await row(page, 'nightly-backup').waitFor({ state: 'detached' });
    expect(await server.scheduler.getJob('nightly-backup')).toBeUndefined();

    // Changes made on the server reach the page only through the event stream.
    await server.scheduler.resumeJob('poll-feed');
    await row(page, 'poll-feed').locator('.state', { hasText: 'active' }).waitFor();
    await server.scheduler.runJobNow('report');
    await row(page, 'report').locator('.last-run', { hasText: 'failed' }).waitFor();
    await page.locator('#announcer', { hasText: 'Runs did not succeed for job: report.' }).waitFor({ state: 'attached' });
    await server.scheduler.addJob({ id: 'added-elsewhere', task: 'noop', trigger: { type: 'interval', seconds: 60 } });
    await row(page, 'added-elsewhere').waitFor();
    await server.scheduler.removeJob('report');
    await row(page, 'report').waitFor({ state: 'detached' });

    // The scheduler's own controls.
    await page.getByRole('button', { name: 'Pause scheduler' }).click();
    await page.locator('#scheduler-state', { hasText: 'scheduler paused' }).waitFor();
    expect(server.scheduler.isPaused).toBe(true);
    await page.getByRole('button', { name: 'Resume scheduler' }).click();
    await page.locator('#scheduler-state', { hasText: 'scheduler running' }).waitFor();

    expect(await page.evaluate('window.sameDocumentMarker')).toBe(42);
    expect(session.view?.loads()).toBe(1);
  });

  it('asks for a key on 401, and a monitor key sees no mutating controls', async () => {
    server = await session.start({ adminKeys: ['admin-secret-0123456789'], monitorKeys: ['monitor-secret-0123456789'] });
    await seed(server);
    const page = await open(server);
    const keyDialog = page.locator('#key-dialog');
    await keyDialog.waitFor();
    await keyDialog.getByLabel('Key').fill('not-a-key');
    await keyDialog.getByRole('button', { name: 'Use key' }).click();
    await page.locator('#key-error', { hasText: 'The API key is not valid.' }).waitFor();
    await keyDialog.getByLabel('Key').fill('monitor-secret-0123456789');
    await keyDialog.getByRole('button', { name: 'Use key' }).click();
    await row(page, 'report').waitFor();
    await live(page);
    expect(await page.evaluate("sessionStorage.getItem('tickwork.apiKey')")).toBe('monitor-secret-0123456789');
    expect(await page.locator('#role').textContent()).toBe('monitor key');
    expect(await page.getByRole('button', { name: 'Add job' }).isVisible()).toBe(false);
    expect(await page.locator('#scheduler-toggle').isVisible()).toBe(false);
    expect(await page.locator('#jobs-table tbody button[data-action]').count()).toBe(0);
    await row(page, 'poll-feed').getByRole('button', { name: 'poll-feed', exact: true }).click();
    await page.locator('#detail-dialog .props').waitFor();
    expect(await page.locator('#detail-dialog button[data-action]').count()).toBe(0);
    // Events still arrive for monitors.
    await server.scheduler.pauseJob('poll-feed');
    await page.locator('#detail-dialog .schedule-line', { hasText: 'paused' }).waitFor();

    // The same page with an admin key has the controls (so the assertions above can fail).
    await session.view?.context.close();
    const admin = await open(server);
    await admin.locator('#key-dialog').getByLabel('Key').fill('admin-secret-0123456789');
    await admin.locator('#key-dialog').getByRole('button', { name: 'Use key' }).click();
    await row(admin, 'report').waitFor();
    expect(await admin.getByRole('button', { name: 'Add job' }).isVisible()).toBe(true);
    expect(await admin.locator('#jobs-table tbody button[data-action]').count()).toBe(9);
  });

  it("shows the server's error message for invalid form input", async () => {
    server = await session.start();
    const page = await open(server);
    await page.locator('#page-info', { hasText: 'No jobs' }).waitFor();
    const payload = { id: 'bad-cron', task: 'noop', trigger: { type: 'cron', expression: '61 * * * *' }, coalesce: true };
    const expected = (await server.app.inject({ method: 'POST', url: '/api/v1/jobs', headers: { 'content-type': 'application/json' }, payload })).json().error
      .message as string;
    expect(expected).toContain('61');

    await page.getByRole('button', { name: 'Add job' }).click();
    const form = page.locator('#form-dialog');
    await form.getByLabel('Job id', { exact: true }).fill('bad-cron');
    await form.getByLabel('Task', { exact: true }).selectOption('noop');
    await form.getByLabel('Expression', { exact: true }).fill('61 * * * *');
    await form.locator('.preview-status.error', { hasText: expected }).waitFor(); // the live preview says it too
    await form.getByRole('button', { name: 'Add job' }).click();
    await form.locator('.form-error', { hasText: expected }).waitFor();
    expect(await form.getByLabel('Expression', { exact: true }).getAttribute('aria-invalid')).toBe('true');
    expect(await form.locator('.form-error').textContent()).toBe(expected);

    // A schema error (not a trigger error) also comes through as the server words it.
    await form.getByLabel('Expression', { exact: true }).fill('*/5 * * * *');
    await form.locator('summary', { hasText: 'Policies' }).click();
    await form.getByLabel('Max instances', { exact: true }).fill('0');
    await form.getByRole('button', { name: 'Add job' }).click();
    await form.locator('.form-error', { hasText: 'body.maxInstances must be >= 1' }).waitFor();
    expect(await server.scheduler.getJob('bad-cron')).toBeUndefined();
    await form.getByLabel('Max instances', { exact: true }).fill('2');
    await form.getByRole('button', { name: 'Add job' }).click();
    await row(page, 'bad-cron').waitFor();
    expect((await server.scheduler.getJob('bad-cron'))?.maxInstances).toBe(2);
  });

  it("shows each traced run's trace id in the run history", async () => {
    const otel = installOtel();
    try {
      server = await session.start({ tracing: true });
      await seed(server);
      for (let i = 0; i < 2; i++) await server.scheduler.runJobNow('report');
      await until(async () => (await server?.scheduler.getRuns('report'))?.length === 2, 5000, 'both runs recorded');
      const traceIds = (await server.scheduler.getRuns('report')).map((run) => run.traceId);
      expect(traceIds.every((id) => /^[0-9a-f]{32}$/.test(id ?? ''))).toBe(true);
      const page = await open(server);
      await row(page, 'report').getByRole('button', { name: 'report', exact: true }).click();
      const detail = page.locator('#detail-dialog');
      await detail.locator('table.runs .trace-id').nth(1).waitFor();
      expect(await detail.locator('table.runs th').allTextContents()).toEqual([
        'Fire time',
        'Outcome',
        'Started by',
        'Attempt',
        'Duration',
        'Lateness',
        'Trace',
      ]);
      expect(await detail.locator('table.runs .trace-id').allTextContents()).toEqual(traceIds);
    } finally {
      await otel.uninstall();
    }
  });

  it('shows a job with its run history, errors, chart and next fire times with DST marks; edits it', async () => {
    server = await session.start();
    await seed(server);
    const { start, gapDay } = beforeUsSpringForward(Date.now());
    await server.scheduler.addJob({
      id: 'ny-morning',
      task: 'noop',
      trigger: { type: 'cron', expression: '30 2 * * *', timezone: 'America/New_York', startDate: start },
    });
    for (let i = 0; i < 2; i++) await server.scheduler.runJobNow('report');
    await server.scheduler.runJobNow('report', { note: 'after the disk cleanup' }, { actor: { role: 'admin', via: 'key', keyIndex: 1 } });
    const page = await open(server);
    await row(page, 'report').waitFor();

    // Keyboard: the job link opens the details; Escape closes them and gives the focus back.
    await row(page, 'report').getByRole('button', { name: 'report', exact: true }).focus();
    await page.keyboard.press('Enter');
    const detail = page.locator('#detail-dialog');
    await detail.locator('table.runs').waitFor();
    expect(await detail.locator('table.runs tr.run-failed').count()).toBe(3);
    expect(await detail.locator('.run-error').first().textContent()).toBe('disk full: /var/spool is at 100%');
    // What started each run and who (newest first): the API caller's run with its note, then the library's.
    expect(await detail.locator('table.runs td.started-by').allTextContents()).toEqual(['manual · admin key 1', 'manual · library', 'manual · library']);
    expect(await detail.locator('.run-note').allTextContents()).toEqual(['Note: after the disk cleanup']);
    expect(await detail.locator('svg.chart-svg circle.dot-bad').count()).toBe(3);
    expect(await detail.locator('.fires li').count()).toBe(10);
    expect(await detail.locator('table.runs th', { hasText: 'Trace' }).count()).toBe(0); // no SDK: no trace ids, no column
    await screenshot(page, 'job-detail');
    await page.keyboard.press('Escape');
    await detail.waitFor({ state: 'hidden' });
    expect(await page.evaluate('document.activeElement.textContent')).toBe('report');

    await row(page, 'ny-morning').getByRole('button', { name: 'ny-morning', exact: true }).click();
    await detail.locator('.fires li').nth(9).waitFor();
    const marked = detail.locator('.fires li', { has: page.locator('.dst-shifted') });
    expect(await marked.count()).toBe(1);
    expect(await marked.locator('time').getAttribute('datetime')).toBe(`${gapDay}T07:00:00.000Z`); // 03:00 EDT

    // Edit from the details: only the name changes, the trigger (and its anchor) stays.
    const before = await server.scheduler.getJob('ny-morning');
    await detail.getByRole('button', { name: 'Edit' }).click();
    const form = page.locator('#form-dialog');
    expect(await form.getByLabel('Expression', { exact: true }).inputValue()).toBe('30 2 * * *');
    expect(await form.getByLabel('Time zone', { exact: true }).inputValue()).toBe('America/New_York');
    await form.getByLabel('Name', { exact: true }).fill('New York early');
    await form.getByRole('button', { name: 'Save changes' }).click();
    await detail.locator('.props dd', { hasText: 'New York early' }).waitFor();
    const after = await server.scheduler.getJob('ny-morning');
    expect(after?.name).toBe('New York early');
    expect(after?.trigger).toEqual(before?.trigger);
  });

  it("shows a job's overlap policy and its waiting fire, and the form edits the policy", async () => {
    server = await session.start();
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    server.scheduler.registerTask('hold', () => held);
    try {
      await server.scheduler.addJob({ id: 'export', task: 'hold', trigger: { type: 'interval', seconds: 1 }, overlap: 'queue' });
      await until(async () => (await server?.scheduler.getJob('export'))?.waitingFire != null, 10_000, 'a waiting fire');
      const waiting = (await server.scheduler.getJob('export'))?.waitingFire?.scheduledAt as Date;
      const page = await open(server);
      await row(page, 'export').getByRole('button', { name: 'export', exact: true }).click();
      const detail = page.locator('#detail-dialog');
      await detail.locator('.props dd', { hasText: 'when all run queue one' }).waitFor();
      const waitingRow = detail.locator('.props dd', { hasText: 'starts when a slot frees' });
      await waitingRow.waitFor();
      expect(await waitingRow.textContent()).toContain(waiting.toISOString().slice(11, 19));
      await detail.getByRole('button', { name: 'Edit' }).click();
      const form = page.locator('#form-dialog');
      await form.locator('summary', { hasText: 'Policies' }).click();
      expect(await form.getByLabel('When all are running', { exact: true }).inputValue()).toBe('queue');
      await form.getByLabel('When all are running', { exact: true }).selectOption('replace');
      await form.getByRole('button', { name: 'Save changes' }).click();
      await detail.locator('.props dd', { hasText: 'when all run replace the oldest' }).waitFor();
      expect((await server.scheduler.getJob('export'))?.overlap).toBe('replace');
    } finally {
      release();
    }
  });

  it('is readable at phone width: cards, no horizontal scrolling', async () => {
    server = await session.start();
    await seed(server);
    const page = await open(server, { width: 390, height: 844 });
    await row(page, 'report').waitFor();
    expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
    expect(
      await page
        .locator('#jobs-table thead')
        .boundingBox()
        .then((b) => b?.height ?? 0),
    ).toBeLessThanOrEqual(1);
    await screenshot(page, 'phone');
    await row(page, 'nightly-backup').getByRole('button', { name: 'nightly-backup', exact: true }).click();
    await page.locator('#detail-dialog .fires li').first().waitFor();
    expect(await page.evaluate('document.querySelector("#detail-dialog").scrollWidth <= window.innerWidth')).toBe(true);
    await screenshot(page, 'phone-detail');
  });
});
