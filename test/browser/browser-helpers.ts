/**
 * Browser test fixtures: headless Chromium (Debian's, driven by playwright-core) and a real Tickwork
 * server on 127.0.0.1 (memory store, the system clock: the page counts down in real time).
 */
import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, afterEach, expect } from 'vitest';
import { SchedulerService } from '../../src/scheduler/service.js';
import { buildServer } from '../../src/server/app.js';
import { registerBuiltInTasks } from '../../src/tasks/index.js';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];
export const SCREENSHOTS = new URL('./screenshots/', import.meta.url);

/** Chromium, or null when it cannot start outside CI (in CI a missing browser fails the run). */
export async function launchChromium(): Promise<Browser | null> {
  try {
    return await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  } catch (error) {
    if (process.env.CI === 'true') throw new Error(`Chromium did not start from ${CHROMIUM_PATH}; the browser tests need it in CI.`, { cause: error });
    console.warn(`\n[browser tests skipped] Chromium did not start from ${CHROMIUM_PATH} (set CHROMIUM_PATH): ${(error as Error).message.split('\n')[0]}\n`);
    return null;
  }
}

export interface DashboardServer {
  app: FastifyInstance;
  scheduler: SchedulerService;
  url: string;
}

export async function startServer(options: { adminKeys?: string[]; monitorKeys?: string[]; tracing?: boolean } = {}): Promise<DashboardServer> {
  const logger = pino({ level: 'silent' });
  const scheduler = new SchedulerService({ logger, timezone: 'UTC', ...(options.tracing === undefined ? {} : { tracing: options.tracing }) });
  registerBuiltInTasks(scheduler, []);
  scheduler.registerTask('noop', () => undefined);
  scheduler.registerTask('fail', () => {
    throw new Error('disk full: /var/spool is at 100%');
  });
  const app = await buildServer({ scheduler, logger, adminKeys: options.adminKeys ?? [], monitorKeys: options.monitorKeys ?? [], shutdownTimeoutSeconds: 2 });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  return { app, scheduler, url: `http://127.0.0.1:${port}/` };
}

export interface DashboardPage {
  context: BrowserContext;
  page: Page;
  /** Uncaught page errors, console errors and CSP violations seen so far. */
  problems: string[];
  /** Full page loads (a reload or a navigation would add one). */
  loads: () => number;
}

export async function openPage(browser: Browser, url: string, viewport = { width: 1280, height: 800 }): Promise<DashboardPage> {
  const context = await browser.newContext({ viewport, reducedMotion: 'reduce', timezoneId: 'UTC', locale: 'en-GB' });
  const page = await context.newPage();
  page.setDefaultTimeout(8000);
  const problems: string[] = [];
  let loads = 0;
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    // Chromium logs every 4xx answer ("Failed to load resource"); the API's 401s and 400s are expected.
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) problems.push(`console: ${message.text()}`);
  });
  page.on('load', () => loads++);
  await page.goto(url);
  return { context, page, problems, loads: () => loads };
}

/** Waits until the jobs table shows the row of `id`. */
export function row(page: Page, id: string) {
  return page.locator(`#jobs-table tbody tr[data-id="${id}"]`);
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: new URL(`${name}.png`, SCREENSHOTS).pathname, fullPage: false });
}

/** The next instant after `now` at hh:mm UTC. */
export function nextUtc(now: number, hour: number, minute: number): Date {
  const d = new Date(now);
  d.setUTCHours(hour, minute, 0, 0);
  if (d.getTime() <= now) d.setUTCDate(d.getUTCDate() + 1);
  return d;
}

/** A test file's browser, and the server and page each test opened (see dashboardSession). */
export interface DashboardSession {
  /** null: no Chromium here (the file's tests skip). */
  readonly browser: Browser | null;
  /** startServer, closed after the test. */
  start(options?: Parameters<typeof startServer>[0]): Promise<DashboardServer>;
  /** The page the test opened last (its context, its load count), if any. */
  readonly view: DashboardPage | undefined;
  /** The dashboard of `server` at `path` in a fresh context, closed after the test. */
  open(server: DashboardServer, path?: string, viewport?: { width: number; height: number }): Promise<Page>;
}

/**
 * Launches the file's browser and registers its hooks: after each test its page and server are closed,
 * and the test fails if the page logged an error (an exception, a CSP violation); after all, the browser.
 * Called once at the top of a browser test file.
 */
export async function dashboardSession(): Promise<DashboardSession> {
  const browser = await launchChromium();
  let server: DashboardServer | undefined;
  let view: DashboardPage | undefined;
  afterEach(async () => {
    const problems = view?.problems ?? [];
    await view?.context.close();
    view = undefined;
    await server?.app.close();
    server = undefined;
    expect(problems).toEqual([]);
  });
  afterAll(async () => {
    await browser?.close();
  });
  return {
    browser,
    get view() {
      return view;
    },
    async start(options) {
      server = await startServer(options);
      return server;
    },
    async open(s, path = '', viewport) {
      view = await openPage(browser as Browser, `${s.url}${path}`, viewport);
      return view.page;
    },
  };
}
