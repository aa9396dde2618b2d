/**
 * "Run with…" in the dashboard's job view, in real headless Chromium against a real server: the args box
 * starts with the job's own args; a run with other args and a note reaches the task with those args and
 * the run history shows it started manually, with its note; args the task's argsSchema refuses show the
 * field (`args.url`) and nothing runs; JSON that does not parse is caught in the page. Monitor keys see no
 * form.
 */
import { describe, expect, it } from 'vitest';
import { dashboardSession, row, screenshot, type DashboardServer } from './browser-helpers.js';

const session = await dashboardSession();
const browser = session.browser;
const open = session.open;
/** The server the running test started (closed by the session after it). */
let server: DashboardServer | undefined;

const URL_SCHEMA = { type: 'object', required: ['url'], properties: { url: { type: 'string' } } };

describe.skipIf(browser === null)('dashboard: run with arguments', () => {
  it("runs the job with the args and note given, shows the history's manual run and note, and shows the field the schema refuses", async () => {
    server = await session.start();
    const received: unknown[] = [];
    server.scheduler.registerTask('hook', (ctx) => void received.push(ctx.args), { argsSchema: URL_SCHEMA });
    await server.scheduler.addJob({ id: 'sync', task: 'hook', args: { url: 'https://example.com/hook' }, trigger: { type: 'interval', seconds: 3600 } });
    const page = await open(server);
    await row(page, 'sync').getByRole('button', { name: 'sync', exact: true }).click();
    const detail = page.locator('#detail-dialog');
    const toggle = detail.getByRole('button', { name: 'Run with…' });
    expect(await toggle.getAttribute('aria-expanded')).toBe('false');
    await toggle.click();
    const section = detail.locator('section.run-args');
    await section.waitFor();
    expect(await toggle.getAttribute('aria-expanded')).toBe('true');
    const args = section.getByLabel('Args (JSON)');
    // Prefilled with the job's own args, and focused.
    expect(JSON.parse(await args.inputValue())).toEqual({ url: 'https://example.com/hook' });
    expect(await page.evaluate('document.activeElement.id')).toBe('run-args');

    // JSON that does not parse never reaches the server.
    await args.fill('{ "url": ');
    await section.getByRole('button', { name: 'Run', exact: true }).click();
    await section.locator('.run-args-error', { hasText: 'not valid JSON' }).waitFor();

    // The task's argsSchema refuses a number: the field is named next to the form, nothing runs.
    await args.fill('{ "url": 42 }');
    await section.getByRole('button', { name: 'Run', exact: true }).click();
    await section.locator('.run-args-fields li', { hasText: 'args.url' }).waitFor();
    await screenshot(page, 'run-args-refused');
    expect(received).toEqual([]);
    expect(await server.scheduler.getRuns('sync', { limit: 10 })).toEqual([]);

    await args.fill('{ "url": "https://example.com/hook?replay=1" }');
    await section.getByLabel(/^Note/).fill('replay for INC-42');
    await section.getByRole('button', { name: 'Run', exact: true }).click();
    await section.locator('.run-args-started').waitFor();
    const deadline = Date.now() + 5000;
    while (received.length === 0) {
      if (Date.now() > deadline) throw new Error('the manual run did not reach the task');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(received).toEqual([{ url: 'https://example.com/hook?replay=1' }]);
    // The history (refreshed after the run) says what started it and shows the note.
    await detail.locator('.run-note', { hasText: 'Note: replay for INC-42' }).waitFor();
    expect(await detail.locator('table.runs td.started-by').first().textContent()).toMatch(/^manual/);
    await screenshot(page, 'run-args-started');
    // The job keeps its own args.
    expect((await server.scheduler.getJob('sync'))?.args).toEqual({ url: 'https://example.com/hook' });
  });

  it('runs a closure job with args too, and an emptied box runs it with its own', async () => {
    server = await session.start();
    const received: unknown[] = [];
    await server.scheduler.addJob({ id: 'fn', func: (ctx) => void received.push(ctx.args), args: { n: 1 }, trigger: { type: 'interval', seconds: 3600 } });
    const page = await open(server);
    await row(page, 'fn').getByRole('button', { name: 'fn', exact: true }).click();
    const detail = page.locator('#detail-dialog');
    await detail.getByRole('button', { name: 'Run with…' }).click();
    const section = detail.locator('section.run-args');
    await section.getByLabel('Args (JSON)').fill('{ "n": 2 }');
    await section.getByRole('button', { name: 'Run', exact: true }).click();
    await section.locator('.run-args-started', { hasText: 'with the given args' }).waitFor();
    await section.getByLabel('Args (JSON)').fill('');
    await section.getByRole('button', { name: 'Run', exact: true }).click();
    await section.locator('.run-args-started', { hasText: "with the job's own args" }).waitFor();
    const deadline = Date.now() + 5000;
    while (received.length < 2) {
      if (Date.now() > deadline) throw new Error(`the manual runs did not both run: ${JSON.stringify(received)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(received).toEqual([{ n: 2 }, { n: 1 }]);
  });

  it('shows no run-with form to a monitor key', async () => {
    server = await session.start({ adminKeys: ['admin-key-0123456789'], monitorKeys: ['monitor-key-0123456789'] });
    await server.scheduler.addJob({ id: 'j', task: 'noop', args: { a: 1 }, trigger: { type: 'interval', seconds: 3600 } });
    const page = await open(server);
    await page.locator('#key-dialog').getByLabel('Key').fill('monitor-key-0123456789');
    await page.locator('#key-dialog').getByRole('button', { name: 'Use key' }).click();
    await row(page, 'j').getByRole('button', { name: 'j', exact: true }).click();
    await page.locator('#detail-dialog .explain').waitFor();
    expect(await page.locator('#detail-dialog').getByRole('button', { name: 'Run with…' }).count()).toBe(0);
    expect(await page.locator('#detail-dialog section.run-args').count()).toBe(0);
  });
});
