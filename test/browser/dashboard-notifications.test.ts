/**
 * Notifications in the dashboard, in real headless Chromium against a real server (the system clock) and a
 * local receiver: a target added through the form (and then read through the API), edited and removed
 * after a confirmation; a delivery appearing in the open view after a job starts failing, with the
 * receiver's answer; the target filter; the job view's deliveries; `/?job=<id>` (a notification's link)
 * opening the job's view; a monitor key seeing the targets without controls. Waits are for conditions
 * under a deadline, never fixed sleeps.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startReceiver, type Receiver } from '../notifications/receiver.js';
import { dashboardSession, row, screenshot, type DashboardServer } from './browser-helpers.js';

const session = await dashboardSession();
const browser = session.browser;
const open = session.open;
/** The server the running test started (closed by the session after it). */
let server: DashboardServer | undefined;
let receiver: Receiver | undefined;

afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
});

const hourly = { type: 'interval', seconds: 3600 } as const;

describe.skipIf(browser === null)('dashboard: notifications', () => {
  it('adds a target through the form, shows a delivery after a transition, edits and removes the target', async () => {
    // Up to 60 s: the retry backoff (1 s, doubling) decides when the receiver's 200 is heard.
    server = await session.start();
    receiver = await startReceiver();
    receiver.status = 500;
    await server.scheduler.addJob({ id: 'backup', task: 'fail', trigger: hourly });
    await server.scheduler.addJob({ id: 'report', task: 'noop', trigger: hourly });
    const page = await open(server);
    await row(page, 'backup').waitFor();
    await page.getByRole('button', { name: 'Notifications' }).click();
    const dialog = page.locator('#notifications-dialog');
    await dialog.getByText('No targets: nothing is sent.').waitFor();

    await dialog.getByRole('button', { name: 'Add target' }).click();
    const form = dialog.locator('form.target-form');
    // The server's message is shown, and the field it names is marked.
    await form.getByLabel('Id').fill('ops');
    await form.getByLabel('URL').fill('ftp://example.com/hook');
    await form.getByRole('button', { name: 'Add target' }).click();
    await form.locator('.form-error', { hasText: 'url' }).waitFor();
    expect(await form.getByLabel('URL').getAttribute('aria-invalid')).toBe('true');
    await form.getByLabel('URL').fill(receiver.url);
    await form.getByLabel('Secret').fill('whsec_0123456789abcdef');
    await form.getByLabel('Jobs').fill('backup, nightly-*');
    await form.getByLabel('missed').uncheck();
    await form.getByRole('button', { name: 'Add target' }).click();
    const target = dialog.locator('table.targets tbody tr[data-id="ops"]');
    await target.waitFor();
    expect(await form.count()).toBe(0);
    expect(await target.locator('td[data-label="URL"]').textContent()).toBe(receiver.url);
    expect(await target.locator('td[data-label="Events"]').textContent()).toBe('failing, overdue, paused, recovered, lost');
    expect(await target.locator('td[data-label="Jobs"]').textContent()).toBe('backup, nightly-*');
    expect(await target.locator('td[data-label="Signed"]').textContent()).toBe('yes');
    expect(await target.locator('td[data-label="Source"]').textContent()).toBe('api');
    const listed = await server.app.inject('/api/v1/notifications/targets');
    expect(listed.json().items).toEqual([
      {
        id: 'ops',
        url: receiver.url,
        hasSecret: true,
        on: ['failing', 'overdue', 'paused', 'recovered', 'lost'],
        jobs: ['backup', 'nightly-*'],
        source: 'api',
        updatedAt: expect.any(String),
      },
    ]);

    // The job starts failing: one delivery, shown while the view is open; the receiver answers 500 (retried
    // with backoff, still pending) until it is told to answer 200.
    await server.scheduler.runJobNow('backup');
    const delivery = dialog.locator('table.deliveries tbody tr');
    // Refreshed on the job's events, and every 5 s for what changes without one.
    await delivery.locator('td[data-label="Last answer"]', { hasText: 'HTTP 500' }).waitFor({ timeout: 15_000 });
    expect(await delivery.count()).toBe(1);
    expect(await delivery.locator('td[data-label="Event"]').textContent()).toBe('failing');
    expect(await delivery.locator('td[data-label="Target"]').textContent()).toBe('ops');
    expect(await delivery.locator('[data-status]').textContent()).toBe('pending');
    expect(await delivery.locator('td[data-label="Delivered / next"]').textContent()).toMatch(/^next /);
    receiver.status = 200;
    // The backoff doubles from 1 s: the attempt after the switch may be 8 s away.
    await delivery.locator('[data-status="delivered"]').waitFor({ timeout: 25_000 });
    expect(await delivery.locator('td[data-label="Last answer"]').textContent()).toBe('HTTP 200');
    const attempts = receiver.events();
    expect(attempts.length).toBeGreaterThanOrEqual(2);
    expect(new Set(attempts)).toEqual(new Set(['failing']));
    expect(await delivery.locator('td[data-label="Attempts"]').textContent()).toBe(String(attempts.length));
    await screenshot(page, 'notifications');

    // A second target: the filter shows one target's deliveries.
    await server.app.inject({
      method: 'PUT',
      url: '/api/v1/notifications/targets/quiet',
      headers: { 'content-type': 'application/json' },
      payload: { url: receiver.url, on: ['overdue'] },
    });
    await dialog.locator('table.targets tbody tr[data-id="quiet"]').waitFor({ timeout: 10_000 });
    await dialog.locator('#deliveries-target').selectOption('quiet');
    await dialog.getByText('No deliveries yet').waitFor();
    await dialog.locator('#deliveries-target').selectOption('ops');
    await delivery.locator('[data-status="delivered"]').waitFor();

    // The job in a delivery opens its view, which lists its deliveries.
    await delivery.getByRole('button', { name: 'backup' }).click();
    const detail = page.locator('#detail-dialog');
    const sent = detail.locator('.job-deliveries tbody tr');
    await sent.waitFor();
    expect(await sent.locator('td[data-label="Event"]').textContent()).toBe('failing');
    expect(await sent.locator('td[data-label="Target"]').textContent()).toBe('ops');
    expect(await sent.locator('td[data-label="Job"]').count()).toBe(0);
    expect(await page.evaluate('location.search')).toBe('?job=backup');
    await detail.getByRole('button', { name: 'Close details' }).click();
    // A dialog's close event comes in a task after the click: wait for the address, do not read it at once.
    await page.waitForFunction("location.search === ''");
    expect(await page.evaluate('location.search')).toBe('');

    // Edit: the form is filled from the target; the secret is not shown, so saving without it drops it.
    await dialog.getByRole('button', { name: 'Edit target ops' }).click();
    expect(await form.getByLabel('Id').inputValue()).toBe('ops');
    expect(await form.getByLabel('Secret').inputValue()).toBe('');
    expect(await form.getByLabel('missed').isChecked()).toBe(false);
    await form.getByLabel('Jobs').fill('');
    await form.getByRole('button', { name: 'Save target' }).click();
    await target.locator('td[data-label="Jobs"]', { hasText: 'every job' }).waitFor();
    expect(await target.locator('td[data-label="Signed"]').textContent()).toBe('no');

    // Remove, after a confirmation: cancelling keeps it.
    await dialog.getByRole('button', { name: 'Remove target ops' }).click();
    const confirm = page.locator('#confirm-dialog');
    expect(await confirm.locator('#confirm-title').textContent()).toBe('Remove target ops?');
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    expect(await target.count()).toBe(1);
    await dialog.getByRole('button', { name: 'Remove target ops' }).click();
    await confirm.getByRole('button', { name: 'Remove' }).click();
    await target.waitFor({ state: 'detached' });
    expect((await server.app.inject('/api/v1/notifications/targets/ops')).statusCode).toBe(404);
  }, 60_000);

  it('pages the deliveries with nextCursor (50 a page, then "Load older deliveries")', async () => {
    server = await session.start();
    receiver = await startReceiver();
    const s = server;
    let calls = 0;
    s.scheduler.registerTask('flip', () => {
      if (++calls % 2 === 1) throw new Error('odd call');
    });
    await s.scheduler.addJob({ id: 'flip', task: 'flip', trigger: hourly });
    const put = await s.app.inject({
      method: 'PUT',
      url: '/api/v1/notifications/targets/ops',
      headers: { 'content-type': 'application/json' },
      payload: { url: receiver.url },
    });
    expect(put.statusCode).toBe(201);
    const count = async () => (await s.app.inject('/api/v1/notifications/deliveries?limit=1000')).json().items.length as number;
    // Failing, recovered, failing, …: one delivery per transition; each is awaited, so none is merged.
    for (let n = 1; n <= 51; n++) {
      await s.scheduler.runJobNow('flip');
      const deadline = Date.now() + 5000;
      while ((await count()) < n) {
        if (Date.now() > deadline) throw new Error(`delivery ${n} was not queued in 5 s`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
    const page = await open(server);
    await page.getByRole('button', { name: 'Notifications' }).click();
    const rows = page.locator('#notifications-dialog table.deliveries tbody tr');
    await rows.nth(49).waitFor();
    expect(await rows.count()).toBe(50);
    // Newest first: the 51st run failed (odd), the first delivery was its first failure.
    expect(await rows.first().locator('td[data-label="Event"]').textContent()).toBe('failing');
    expect(await rows.nth(1).locator('td[data-label="Event"]').textContent()).toBe('recovered');
    await page.getByRole('button', { name: 'Load older deliveries' }).click();
    await rows.nth(50).waitFor();
    expect(await rows.count()).toBe(51);
    expect(await page.getByRole('button', { name: 'Load older deliveries' }).count()).toBe(0);
    const ids = await rows.evaluateAll((trs) => trs.map((tr) => Number((tr as unknown as { dataset: { deliveryId: string } }).dataset.deliveryId)));
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
  });

  it('opens the job view from /?job=<id> (a notification link) and keeps it in the address while open', async () => {
    server = await session.start();
    await server.scheduler.addJob({ id: 'nightly.backup', task: 'noop', trigger: hourly });
    await server.scheduler.addJob({ id: 'other', task: 'noop', trigger: hourly });
    const page = await open(server, '?health=pending&job=nightly.backup');
    const detail = page.locator('#detail-dialog');
    await detail.locator('.props').waitFor();
    expect(await detail.locator('#detail-title').textContent()).toBe('nightly.backup');
    // No delivery about the job: no section for them.
    expect(await detail.locator('.job-deliveries').count()).toBe(0);
    expect(await page.evaluate('location.search')).toBe('?health=pending&job=nightly.backup');
    await page.keyboard.press('Escape');
    await detail.waitFor({ state: 'hidden' });
    await page.waitForFunction("location.search === '?health=pending'");
    expect(await page.evaluate('location.search')).toBe('?health=pending');
    await row(page, 'other').getByRole('button', { name: 'other', exact: true }).click();
    await detail.locator('.props').waitFor();
    await page.waitForFunction("location.search === '?health=pending&job=other'");
    expect(await page.evaluate('location.search')).toBe('?health=pending&job=other');
    // A reload opens the same view.
    await page.reload();
    await detail.locator('#detail-title', { hasText: 'other' }).waitFor();
    expect(session.view?.loads()).toBe(2);
  });

  it('shows a monitor key the targets without controls', async () => {
    server = await session.start({ adminKeys: ['admin-secret-0123456789'], monitorKeys: ['monitor-secret-0123456789'] });
    await server.scheduler.addJob({ id: 'backup', task: 'noop', trigger: hourly });
    const admin = { authorization: 'Bearer admin-secret-0123456789', 'content-type': 'application/json' };
    const put = await server.app.inject({
      method: 'PUT',
      url: '/api/v1/notifications/targets/ops',
      headers: admin,
      payload: { url: 'https://user:pass@hooks.example.com/t?token=abc' },
    });
    expect(put.statusCode).toBe(201);
    const page = await open(server);
    await page.locator('#key-dialog').getByLabel('Key').fill('monitor-secret-0123456789');
    await page.locator('#key-dialog').getByRole('button', { name: 'Use key' }).click();
    await row(page, 'backup').waitFor();
    await page.getByRole('button', { name: 'Notifications' }).click();
    const target = page.locator('#notifications-dialog table.targets tbody tr[data-id="ops"]');
    await target.waitFor();
    // The URL as the API gives it to monitors (redacted).
    expect(await target.locator('td[data-label="URL"]').textContent()).toBe(
      (await server.app.inject({ url: '/api/v1/notifications/targets/ops', headers: { authorization: 'Bearer monitor-secret-0123456789' } })).json().url,
    );
    expect(await target.locator('td[data-label="URL"]').textContent()).not.toContain('pass');
    expect(await page.locator('#notifications-dialog button', { hasText: /Add target|Edit|Remove/ }).count()).toBe(0);
  });

  it('is readable at phone width: targets and deliveries are cards, no horizontal scrolling', async () => {
    server = await session.start();
    receiver = await startReceiver();
    await server.scheduler.addJob({ id: 'backup-of-the-customer-database', task: 'fail', trigger: hourly });
    const put = await server.app.inject({
      method: 'PUT',
      url: '/api/v1/notifications/targets/ops',
      headers: { 'content-type': 'application/json' },
      payload: { url: `${receiver.url}/a/rather/long/path/for/a/phone/screen`, jobs: ['backup-*', 'nightly-*'] },
    });
    expect(put.statusCode).toBe(201);
    await server.scheduler.runJobNow('backup-of-the-customer-database');
    const page = await session.open(server, '', { width: 390, height: 800 });
    await page.getByRole('button', { name: 'Notifications' }).click();
    await page.locator('#notifications-dialog table.deliveries tbody tr').waitFor({ timeout: 15_000 });
    expect(await page.evaluate('document.querySelector("#notifications-dialog").scrollWidth <= window.innerWidth')).toBe(true);
    await screenshot(page, 'notifications-phone');
  });
});
