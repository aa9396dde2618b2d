/**
 * Job health and explain in the dashboard, in real headless Chromium against a real server (the system
 * clock): the health column's badges, the health filter (?health=), the job view's health block, and
 * the explain view from a point of the run chart and from a typed time. Waits are for conditions under
 * a deadline, never fixed sleeps.
 */
import { describe, expect, it } from 'vitest';
import { dashboardSession, row, screenshot, type DashboardServer } from './browser-helpers.js';

/** The little of the DOM that page-side callbacks use (the project type-checks without the DOM library). */
declare const document: { querySelectorAll(selector: string): { length: number } };
declare const getComputedStyle: (element: unknown) => { color: string };

const session = await dashboardSession();
const browser = session.browser;
const open = session.open;
/** The server the running test started (closed by the session after it). */
let server: DashboardServer | undefined;

/** Resolves once the job has `count` runs recorded (checked every 50 ms, for at most 10 s). */
async function runsRecorded(s: DashboardServer, id: string, count: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while ((await s.scheduler.getRuns(id, { limit: count })).length < count) {
    if (Date.now() > deadline) throw new Error(`job ${id} did not record ${count} runs in 10 s`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe.skipIf(browser === null)('dashboard: health and explain', () => {
  it('shows a health badge per job (word and colour, the reason as title) and filters failing or overdue jobs', async () => {
    server = await session.start();
    const hourly = { type: 'interval', seconds: 3600 } as const;
    await server.scheduler.addJob({ id: 'broken', task: 'fail', trigger: hourly });
    await server.scheduler.addJob({ id: 'fine', task: 'noop', trigger: hourly });
    await server.scheduler.addJob({ id: 'fresh', task: 'noop', trigger: hourly });
    await server.scheduler.addJob({ id: 'held', task: 'noop', trigger: hourly, paused: true });
    await server.scheduler.runJobNow('broken');
    await server.scheduler.runJobNow('fine');
    const page = await open(server);
    await row(page, 'held').waitFor();
    const badge = (id: string) => row(page, id).locator('.health-cell .badge');
    expect(await badge('broken').textContent()).toBe('failing');
    expect(await badge('broken').getAttribute('title')).toBe('the last run failed: disk full: /var/spool is at 100%');
    expect(await badge('fine').textContent()).toBe('ok');
    expect(await badge('fresh').textContent()).toBe('pending');
    expect(await badge('held').textContent()).toBe('paused');
    // The badge's colour differs by state (the word says it too).
    const colour = (id: string) => badge(id).evaluate((el) => getComputedStyle(el).color);
    expect(await colour('broken')).not.toBe(await colour('fine'));

    await page.getByLabel('Health').selectOption('failing,overdue');
    await page.waitForFunction(() => document.querySelectorAll('#jobs-table tbody tr').length === 1);
    expect(await page.locator('#jobs-table tbody tr').getAttribute('data-id')).toBe('broken');
    expect(await page.evaluate('location.search')).toBe('?health=failing%2Coverdue');
    await screenshot(page, 'health-filter');
    // The filter survives a reload (it is kept in the address).
    await page.reload();
    await row(page, 'broken').waitFor();
    expect(await page.locator('#jobs-table tbody tr').count()).toBe(1);
    await page.getByLabel('Health').selectOption('');
    await page.locator('#page-info', { hasText: 'Jobs 1–4' }).waitFor();
  });

  it('shows the health block, and explains a fire picked on the run chart or typed in', async () => {
    server = await session.start();
    await server.scheduler.addJob({ id: 'flaky', task: 'fail', trigger: { type: 'interval', seconds: 1 } });
    await runsRecorded(server, 'flaky', 2);
    await server.scheduler.pauseJob('flaky');
    const [newest] = await server.scheduler.getRuns('flaky', { limit: 1 });
    const page = await open(server);
    await row(page, 'flaky').getByRole('button', { name: 'flaky', exact: true }).click();
    const detail = page.locator('#detail-dialog');
    await detail.locator('.health-block').waitFor();
    expect(await detail.locator('.health-block .badge').textContent()).toBe('paused');
    expect(await detail.locator('.health-block .health-reason').textContent()).toBe('the job is paused by the library');
    const block = await detail.locator('.health-block dl').textContent();
    expect(block).toContain('Last successnever');
    expect(block).toMatch(/Consecutive failures[2-9]/);

    // A point of the chart: a button named for its fire, which explains it.
    const point = detail.locator(`svg.chart-svg [data-scheduled-at="${newest?.scheduledAt.toISOString()}"]`);
    expect(await point.getAttribute('role')).toBe('button');
    await point.focus();
    await page.keyboard.press('Enter');
    const result = detail.locator('.explain-result [data-verdict]');
    await result.waitFor();
    expect(await result.getAttribute('data-verdict')).toBe('ran');
    expect(await result.locator('.verdict').textContent()).toBe('ran');
    expect(await result.locator('.explain-reason').textContent()).toContain('failed: disk full: /var/spool is at 100%');
    expect(await result.locator('.evidence').textContent()).toContain(`flaky@${newest?.scheduledAt.toISOString()}`);
    await screenshot(page, 'explain');

    // A typed time (the browser's zone is UTC here) long before the job existed: no fire then.
    await detail.getByLabel('Time (your zone)').fill('2020-01-01T00:00:00');
    await detail.getByRole('button', { name: 'Explain', exact: true }).click();
    await detail.locator('.explain-result [data-verdict="not_scheduled"]').waitFor();
    expect(await detail.locator('.explain-result .verdict').textContent()).toBe('not scheduled');
    expect(await detail.locator('.explain-result .explain-reason').textContent()).toContain("before the trigger's start date");
  });
});
