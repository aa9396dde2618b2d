/**
 * Backfill in the dashboard's job view, in real headless Chromium against a real server: the form (range
 * and outcomes), the dry-run preview listing each fire with its run id, then the confirm that runs it;
 * the fires run again under their original times (`#2`) and the change list shows the backfill. Monitor
 * keys see no form. The missed fires are made with a job whose grace is short and whose process was busy.
 */
import { describe, expect, it } from 'vitest';
import { dashboardSession, row, screenshot, type DashboardServer } from './browser-helpers.js';

const session = await dashboardSession();
const browser = session.browser;
const open = session.open;
/** The server the running test started (closed by the session after it). */
let server: DashboardServer | undefined;

/** "2026-01-01T00:00:10" for an instant: a datetime-local value in the page's zone (UTC). */
const local = (ms: number): string => new Date(ms).toISOString().slice(0, 19);

describe.skipIf(browser === null)('dashboard: backfill', () => {
  it('previews the missed fires of a range, then runs them under their original times', async () => {
    server = await session.start();
    const ran: string[] = [];
    server.scheduler.registerTask('record', (ctx) => void ran.push(`${ctx.scheduledAt.toISOString()}#${ctx.attempt}`));
    // Every second, with a short grace; the process then blocks for 2.5 s: the fires due meanwhile are missed.
    await server.scheduler.addJob({ id: 'busy', task: 'record', trigger: { type: 'interval', seconds: 1 }, misfireGraceTime: 0.1, coalesce: false });
    const deadline = Date.now() + 10_000;
    let missed: Date[] = [];
    while (missed.length < 1) {
      if (Date.now() > deadline) throw new Error('no missed fire in 10 s');
      const blockUntil = Date.now() + 2500;
      while (Date.now() < blockUntil); // a busy event loop: the fires due meanwhile start late
      await new Promise((resolve) => setTimeout(resolve, 300));
      missed = (await server.scheduler.getRuns('busy', { limit: 100 })).filter((r) => r.outcome === 'missed').map((r) => r.scheduledAt);
    }
    const from = missed[0] as Date;
    const page = await open(server);
    await row(page, 'busy').getByRole('button', { name: 'busy', exact: true }).click();
    const detail = page.locator('#detail-dialog');
    const section = detail.locator('section.backfill');
    await section.waitFor();
    // The inputs hold whole seconds: from the fire's second to the same + 999 ms, cut to its second, holds
    // this fire and not the next (a second later).
    await section.getByLabel('From (your zone)').fill(local(from.getTime()));
    await section.getByLabel('To', { exact: true }).fill(local(from.getTime() + 999));
    expect(await section.getByLabel('missed').isChecked()).toBe(true);
    await section.getByRole('button', { name: 'Preview' }).click();
    const list = section.locator('.backfill-fires li');
    await list.first().waitFor();
    expect(await list.count()).toBe(1);
    expect(await list.first().textContent()).toContain(`busy@${from.toISOString()}#2`);
    await screenshot(page, 'backfill-preview');
    ran.length = 0;
    await section.getByRole('button', { name: 'Run 1 fire' }).click();
    await section.locator('.backfill-started', { hasText: 'Started 1 fire.' }).waitFor();
    const runDeadline = Date.now() + 5000;
    while (!ran.includes(`${from.toISOString()}#2`)) {
      if (Date.now() > runDeadline) throw new Error(`the backfilled fire did not run: ${ran.join(', ')}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    // The change list shows it (the view refreshes after the backfill).
    await detail.locator('.audit-list li', { hasText: 'backfilled' }).waitFor();

    // Previewing again: the gap is filled.
    await section.getByRole('button', { name: 'Preview' }).click();
    await section.locator('.backfill-none').waitFor();
  });

  it('shows no backfill form to a monitor key', async () => {
    server = await session.start({ adminKeys: ['admin-key-0123456789'], monitorKeys: ['monitor-key-0123456789'] });
    await server.scheduler.addJob({ id: 'j', task: 'noop', trigger: { type: 'interval', seconds: 3600 } });
    const page = await open(server);
    await page.locator('#key-dialog').getByLabel('Key').fill('monitor-key-0123456789');
    await page.locator('#key-dialog').getByRole('button', { name: 'Use key' }).click();
    await row(page, 'j').getByRole('button', { name: 'j', exact: true }).click();
    await page.locator('#detail-dialog .explain').waitFor();
    expect(await page.locator('#detail-dialog section.backfill').count()).toBe(0);
  });
});
