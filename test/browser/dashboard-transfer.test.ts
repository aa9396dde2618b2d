/**
 * Export and import in the dashboard's header, in real headless Chromium against a real server: Export
 * saves the jobs as a JSON file; Import previews a changed file (dry run: nothing changes), then applies
 * it and the table shows the new job; bad JSON and a server refusal show what is wrong. Monitor keys see
 * neither control.
 */
import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { dashboardSession, row, screenshot, type DashboardServer } from './browser-helpers.js';

const session = await dashboardSession();
const browser = session.browser;
const open = session.open;
/** The server the running test started (closed by the session after it). */
let server: DashboardServer | undefined;

interface Exported {
  jobs: { id: string; trigger: { type: string; seconds?: number } }[];
}

async function exportFile(page: Page): Promise<{ name: string; body: Exported }> {
  const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#export-jobs').click()]);
  const path = await download.path();
  return { name: download.suggestedFilename(), body: JSON.parse(readFileSync(path, 'utf8')) as Exported };
}

function chooseFile(page: Page, body: unknown) {
  return page
    .locator('#transfer-dialog')
    .getByLabel('JSON file (from Export)')
    .setInputFiles({ name: 'jobs.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(body)) });
}

const ids = (page: Page, kind: string) => page.locator(`#transfer-dialog .import-preview dd[data-kind="${kind}"] code`).allTextContents();

describe.skipIf(browser === null)('dashboard: export and import', () => {
  it('exports the jobs as a file, previews a changed file without changing anything, then applies it', async () => {
    server = await session.start();
    await server.scheduler.addJob({ id: 'alpha', task: 'noop', trigger: { type: 'interval', seconds: 3600 } });
    await server.scheduler.addJob({ id: 'beta', task: 'noop', trigger: { type: 'interval', seconds: 600 } });
    const page = await open(server);
    await row(page, 'beta').waitFor();

    const { name, body } = await exportFile(page);
    expect(name).toMatch(/^tickwork-jobs-\d{4}-\d{2}-\d{2}\.json$/);
    expect(body.jobs.map((job) => job.id).sort()).toEqual(['alpha', 'beta']);

    // The file changed elsewhere: alpha runs every 2 hours now, and a job gamma is new.
    const changed: Exported = {
      jobs: [
        ...body.jobs.map((job) => (job.id === 'alpha' ? { ...job, trigger: { type: 'interval', seconds: 7200 } } : job)),
        { id: 'gamma', task: 'noop', trigger: { type: 'interval', seconds: 60 } } as Exported['jobs'][number],
      ],
    };
    await page.locator('#import-jobs').click();
    const dialog = page.locator('#transfer-dialog');
    await chooseFile(page, changed);
    await dialog.getByRole('button', { name: 'Preview' }).click();
    await dialog.locator('.import-preview').waitFor();
    expect(await ids(page, 'created')).toEqual(['gamma']);
    expect(await ids(page, 'updated')).toEqual(['alpha']);
    expect(await ids(page, 'unchanged')).toEqual(['beta']);
    expect(await ids(page, 'removed')).toEqual([]);
    await screenshot(page, 'import-preview');
    // A dry run: nothing changed.
    expect(await server.scheduler.getJob('gamma')).toBeUndefined();
    expect((await server.scheduler.getJob('alpha'))?.trigger).toMatchObject({ seconds: 3600 });

    await dialog.getByRole('button', { name: 'Apply' }).click();
    await dialog.locator('.import-applied').waitFor();
    expect(await dialog.locator('.import-done dd[data-kind="created"] code').allTextContents()).toEqual(['gamma']);
    expect((await server.scheduler.getJob('gamma'))?.owner).toBe('api');
    expect((await server.scheduler.getJob('alpha'))?.trigger).toMatchObject({ seconds: 7200 });
    await dialog.getByRole('button', { name: 'Close import' }).click();
    await row(page, 'gamma').waitFor();

    // The first export again, with Prune: gamma (created over the API) would go; alpha and beta are the library's.
    await page.locator('#import-jobs').click();
    await dialog.getByLabel('or paste JSON').fill(JSON.stringify(body));
    await dialog.getByLabel('Prune').check();
    await dialog.getByRole('button', { name: 'Preview' }).click();
    await dialog.locator('.import-preview').waitFor();
    expect(await ids(page, 'removed')).toEqual(['gamma']);
    expect(await ids(page, 'updated')).toEqual(['alpha']);
  });

  it('says what is wrong with a bad file: invalid JSON in the page, a refused entry with its field path from the server', async () => {
    server = await session.start();
    const page = await open(server);
    await page.locator('#import-jobs').click();
    const dialog = page.locator('#transfer-dialog');
    await dialog.getByLabel('or paste JSON').fill('{ "jobs": [ ');
    await dialog.getByRole('button', { name: 'Preview' }).click();
    await dialog.locator('.import-error', { hasText: 'This is not valid JSON' }).waitFor();

    await dialog.getByLabel('or paste JSON').fill('{ "items": [] }');
    await dialog.getByRole('button', { name: 'Preview' }).click();
    await dialog.locator('.import-error', { hasText: 'no "jobs" list' }).waitFor();

    await chooseFile(page, {
      jobs: [
        { id: 'ok', task: 'noop', trigger: { type: 'interval', seconds: 60 } },
        { id: 'no spaces', task: 'noop', trigger: { type: 'interval', seconds: 60 } },
      ],
    });
    await dialog.getByRole('button', { name: 'Preview' }).click();
    const error = dialog.locator('.import-error');
    await error.waitFor();
    expect(await error.textContent()).toContain('jobs[1].id');
    expect(await dialog.getByRole('button', { name: 'Apply' }).count()).toBe(0);
    expect(await server.scheduler.getJob('ok')).toBeUndefined();
  });

  it('shows no export or import to a monitor key', async () => {
    server = await session.start({ adminKeys: ['admin-key-0123456789'], monitorKeys: ['monitor-key-0123456789'] });
    await server.scheduler.addJob({ id: 'j', task: 'noop', trigger: { type: 'interval', seconds: 3600 } });
    const page = await open(server);
    await page.locator('#key-dialog').getByLabel('Key').fill('monitor-key-0123456789');
    await page.locator('#key-dialog').getByRole('button', { name: 'Use key' }).click();
    await row(page, 'j').waitFor();
    expect(await page.locator('#export-jobs').isHidden()).toBe(true);
    expect(await page.locator('#import-jobs').isHidden()).toBe(true);
  });
});
