/**
 * The dashboard's schedule builder for calendar intervals, combined (or/and) triggers and maxRuns, in
 * real headless Chromium against a real server: each form with its live preview, saved as the server
 * resolves it. Every wait is for a condition under a deadline, never a fixed sleep.
 */
import { describe, expect, it } from 'vitest';
import { dashboardSession, row, type DashboardServer } from './browser-helpers.js';

/** The little of the DOM that page-side callbacks use (see dashboard.test.ts). */
interface PageElement {
  textContent: string | null;
  getAttribute(name: string): string | null;
}
declare const document: { querySelector(selector: string): PageElement | null; querySelectorAll(selector: string): { length: number } };

const session = await dashboardSession();
const browser = session.browser;
const open = session.open;
/** The server the running test started (closed by the session after it). */
let server: DashboardServer | undefined;

describe.skipIf(browser === null)('dashboard: trigger builder', () => {
  it('adds a calendar-interval job with a run limit, and a combined job, each with its live preview', async () => {
    server = await session.start();
    const page = await open(server);
    await page.getByRole('button', { name: 'Add job' }).click();
    const form = page.locator('#form-dialog');
    await form.getByLabel('Job id', { exact: true }).fill('month-end');
    await form.getByLabel('Task', { exact: true }).selectOption('noop');
    await form.getByLabel('Calendar interval').check();
    await form.getByLabel('Repeat every', { exact: true }).fill('1');
    await form.getByLabel('Calendar unit', { exact: true }).selectOption('months');
    await form.getByLabel('Time of day', { exact: true }).fill('09:30:00');
    await form.getByLabel('First day', { exact: true }).fill('2031-01-31');
    await form.getByLabel('Zone of the days', { exact: true }).fill('UTC');
    // The 31st is skipped in months without one: January, March, May.
    await page.waitForFunction(
      () =>
        document.querySelectorAll('#form-dialog .preview-list li').length === 10 &&
        document.querySelector('#form-dialog .preview-list li:nth-child(2) time')?.getAttribute('datetime') === '2031-03-31T09:30:00.000Z',
    );
    await page.locator('#form-dialog details.policies summary').click();
    await form.getByLabel('Max runs', { exact: true }).fill('2');
    await form.getByRole('button', { name: 'Add job' }).click();
    await row(page, 'month-end').waitFor();
    expect(await server.scheduler.getJob('month-end')).toMatchObject({
      maxRuns: 2,
      remainingRuns: 2,
      trigger: { type: 'calendarInterval', months: 1, hour: 9, minute: 30, second: 0, timezone: 'UTC', startDate: '2031-01-31' },
    });

    await page.getByRole('button', { name: 'Add job' }).click();
    await form.getByLabel('Job id', { exact: true }).fill('friday-13');
    await form.getByLabel('Task', { exact: true }).selectOption('noop');
    await form.getByLabel('Combined (or / and)').check();
    const spec = {
      type: 'and',
      triggers: [
        { type: 'calendarInterval', months: 1, hour: 12, timezone: 'UTC', startDate: '2026-01-13' },
        { type: 'cron', expression: '0 12 * * 5', timezone: 'UTC' },
      ],
    };
    await form.getByLabel('Trigger (JSON)', { exact: true }).fill(JSON.stringify(spec));
    // The preview follows the edit (the example spec's preview comes first): fires on the 13th at noon.
    await page.waitForFunction(() => (document.querySelector('#form-dialog .preview-list time')?.getAttribute('datetime') ?? '').includes('-13T12:00'));
    const first = await page.locator('#form-dialog .preview-list time').first().getAttribute('datetime');
    expect(new Date(first ?? '').getUTCDate()).toBe(13);
    expect(new Date(first ?? '').getUTCDay()).toBe(5);
    await form.getByLabel('Trigger (JSON)', { exact: true }).fill('{ "type": "and", ');
    await page.waitForFunction(() => (document.querySelector('#form-dialog .preview-status')?.textContent ?? '').includes('not valid JSON'));
    await form.getByLabel('Trigger (JSON)', { exact: true }).fill(JSON.stringify(spec));
    await form.getByRole('button', { name: 'Add job' }).click();
    await row(page, 'friday-13').waitFor();
    expect((await server.scheduler.getJob('friday-13'))?.trigger.type).toBe('and');
    expect(await row(page, 'friday-13').locator('.schedule').textContent()).toContain('when all of:');
    // Two forms, two saves and their previews: generous on a loaded machine.
  }, 60_000);

  it('adds a job with exclusions: the live preview marks excluded fires, and the job is saved with them', async () => {
    server = await session.start();
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    const later = new Date(Date.now() + 3 * 86_400_000).toISOString().slice(0, 10);
    await server.scheduler.putCalendar('hols', { dates: [later] });
    const page = await open(server);
    await page.getByRole('button', { name: 'Add job' }).click();
    const form = page.locator('#form-dialog');
    await form.getByLabel('Job id', { exact: true }).fill('daily');
    await form.getByLabel('Task', { exact: true }).selectOption('noop');
    await form.getByLabel('Expression', { exact: true }).fill('0 9 * * *');
    await form.getByLabel('Time zone', { exact: true }).fill('UTC');
    await page.locator('#form-dialog details.policies summary').click();
    await form.getByLabel('Exclude calendars', { exact: true }).fill('hols');
    await form.getByLabel('Exclude dates', { exact: true }).fill(tomorrow);
    await page.waitForFunction(() => document.querySelectorAll('#form-dialog .preview-list .excluded').length === 2);
    const marks = await page.locator('#form-dialog .preview-list .excluded').allTextContents();
    expect(marks).toEqual(['excluded (date)', 'excluded (calendar hols)']);
    await form.getByRole('button', { name: 'Add job' }).click();
    await row(page, 'daily').waitFor();
    expect((await server.scheduler.getJob('daily'))?.exclude).toEqual({ calendars: ['hols'], dates: [tomorrow], timezone: 'UTC', skip: [] });
  }, 60_000);
});
