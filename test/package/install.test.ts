/**
 * The package as users get it: `npm pack`, the tarball installed into a fresh project (without Nest or
 * Express) from the registry, and there every subpath of package.json `exports` imported from ESM (and
 * from CommonJS through import(): the package is ESM-only), a strict type-check against the shipped
 * declarations (TypeScript 5.9, @types/node 20, nodenext, no skipLibCheck), `npx tickwork --help`, and
 * `node node_modules/tickwork/dist/cli.js serve` answering /api/v1/health and stopping on SIGTERM.
 *
 * It needs the registry and a built dist/ (npm test builds first) and takes a minute or two, so it runs in
 * CI (CI=true) or when TICKWORK_PACKAGE_TEST=1, and is skipped with a notice otherwise.
 */
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectJsonLines } from '../server/json-lines.js';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const enabled = process.env.CI === 'true' || process.env.TICKWORK_PACKAGE_TEST === '1';
if (!enabled) console.warn('test/package/install.test.ts skipped: it runs in CI (CI=true) or with TICKWORK_PACKAGE_TEST=1.');

interface PackageJson {
  name: string;
  version: string;
  exports: Record<string, unknown>;
  dependencies: Record<string, string>;
}
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as PackageJson;
/** `tickwork`, `tickwork/server`, and whatever else the exports map lists (patterns aside). */
const specifiers = Object.keys(pkg.exports)
  .filter((key) => !key.includes('*') && !key.endsWith('.json'))
  .map((key) => (key === '.' ? pkg.name : `${pkg.name}/${key.replace(/^\.\//, '')}`));

const INSTALL_TIMEOUT_MS = 6 * 60_000;
let project = '';

async function npm(args: string[], cwd: string): Promise<string> {
  const { stdout } = await run('npm', args, { cwd, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, npm_config_update_notifier: 'false' } });
  return stdout;
}

describe.runIf(enabled)('the packed tarball, installed as users install it', () => {
  beforeAll(async () => {
    expect(existsSync(join(ROOT, 'dist/cli.js')), 'dist/ is missing: npm run build first').toBe(true);
    project = mkdtempSync(join(tmpdir(), 'tickwork-install-'));
    // --ignore-scripts: `prepare` would rebuild dist/ under the feet of tests that run it at the same time.
    const packed = JSON.parse(await npm(['pack', '--ignore-scripts', '--json', '--pack-destination', project], ROOT)) as { filename: string }[];
    const tarball = join(project, packed[0]?.filename ?? '');
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'install-check', private: true, type: 'module' }));
    // Install scripts are skipped: better-sqlite3 would compile SQLite when its prebuilt binary cannot be
    // downloaded (7 minutes on two cores). Its addon is copied from this repo's install instead, checked
    // to be the same version for the same Node, so the server below runs on its default SQLite store.
    await npm(['install', tarball, 'typescript@5.9.3', '@types/node@20', '--no-audit', '--no-fund', '--ignore-scripts'], project);
    const addon = 'node_modules/better-sqlite3/build/Release/better_sqlite3.node';
    const version = (dir: string): string =>
      (JSON.parse(readFileSync(join(dir, 'node_modules/better-sqlite3/package.json'), 'utf8')) as { version: string }).version;
    expect(version(project)).toBe(version(ROOT));
    rmSync(join(project, 'node_modules/better-sqlite3/build'), { recursive: true, force: true });
    mkdirSync(join(project, 'node_modules/better-sqlite3/build/Release'), { recursive: true });
    copyFileSync(join(ROOT, addon), join(project, addon));
  }, INSTALL_TIMEOUT_MS);

  afterAll(() => {
    if (project !== '') rmSync(project, { recursive: true, force: true });
  });

  it('ships no tests, benchmarks or CI scripts', { timeout: 60_000 }, async () => {
    const [report] = JSON.parse(await npm(['pack', '--dry-run', '--ignore-scripts', '--json'], ROOT)) as { files: { path: string }[] }[];
    const paths = (report?.files ?? []).map((f) => f.path);
    expect(paths).toContain('dist/cli.js');
    expect(paths).toContain('dist/index.d.ts');
    expect(paths).toContain('dashboard/index.html');
    const testOnly = paths.filter((p) => /^(test|bench|\.ci|examples|src|dist\/test|dist\/bench)\//.test(p) || /\.test\.(js|ts|d\.ts)$/.test(p));
    expect(testOnly).toEqual([]);
    // Source maps would point at src/, which is not shipped.
    expect(paths.filter((p) => p.endsWith('.map'))).toEqual([]);
  });

  it('installs without Nest or Express, and with no devDependency', () => {
    expect(existsSync(join(project, 'node_modules/@nestjs'))).toBe(false);
    expect(existsSync(join(project, 'node_modules/express'))).toBe(false);
    // Only runtime dependencies came along: a devDependency the code imports at run time fails the imports below.
    expect(existsSync(join(project, 'node_modules/vitest'))).toBe(false);
    for (const name of Object.keys(pkg.dependencies)) expect(existsSync(join(project, 'node_modules', name)), name).toBe(true);
  });

  it('imports every subpath of package.json exports from ESM', async () => {
    expect(specifiers).toContain('tickwork');
    expect(specifiers).toContain('tickwork/server');
    const script = specifiers
      .map((s) => `{ const m = await import(${JSON.stringify(s)}); console.log(${JSON.stringify(s)}, Object.keys(m).length); }`)
      .join('\n');
    writeFileSync(join(project, 'imports.mjs'), script);
    const { stdout } = await run(process.execPath, ['imports.mjs'], { cwd: project });
    for (const s of specifiers) expect(stdout).toMatch(new RegExp(`^${s} [1-9][0-9]*$`, 'm'));
  }, 60_000);

  it('is ESM-only: require() is refused, import() works from CommonJS', async () => {
    writeFileSync(
      join(project, 'from-cjs.cjs'),
      `let refused = 'no';
try { require('tickwork'); } catch (error) { refused = error.code; }
import('tickwork').then((m) => console.log(refused, typeof m.SchedulerService));\n`,
    );
    const { stdout } = await run(process.execPath, ['from-cjs.cjs'], { cwd: project });
    // Node 20 refuses require() of a package whose exports have only an "import" condition.
    expect(stdout.trim()).toMatch(/^ERR_(PACKAGE_PATH_NOT_EXPORTED|REQUIRE_ESM) function$/);
  }, 60_000);

  it('type-checks against the shipped declarations: strict, nodenext, without skipLibCheck', async () => {
    const lines = [
      `import { SchedulerService, previewSchedule, type JobInfo, type TriggerSpec } from 'tickwork';`,
      `import { buildServer, type ServerOptions } from 'tickwork/server';`,
      `const scheduler = new SchedulerService({ timezone: 'UTC' });`,
      `const trigger: TriggerSpec = { type: 'cron', expression: '0 9 * * 1-5', timezone: 'Europe/Berlin' };`,
      `const job: Promise<JobInfo> = scheduler.addJob({ id: 'x', func: () => undefined, trigger });`,
      `const next: Date[] = previewSchedule(trigger, { count: 3 });`,
      `const options: Pick<ServerOptions, 'adminKeys'> = { adminKeys: [] };`,
      `void job; void next; void options; void buildServer;`,
      // Every other subpath the exports map lists must resolve to declarations too.
      ...specifiers.map((s, i) => `import * as subpath${i} from ${JSON.stringify(s)};\nvoid subpath${i};`),
    ];
    writeFileSync(join(project, 'check.ts'), `${lines.join('\n')}\n`);
    const tsc = join(project, 'node_modules/typescript/bin/tsc');
    const result = await run(process.execPath, [tsc, '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--noEmit', 'check.ts'], {
      cwd: project,
    }).catch((error: { stdout?: string; code?: number }) => ({ stdout: error.stdout ?? '', failed: error.code }));
    expect(result.stdout).toBe('');
    expect(await run(process.execPath, [tsc, '--version'], { cwd: project })).toMatchObject({ stdout: expect.stringMatching(/^Version 5\.9\./) as unknown });
  }, 180_000);

  it('npx tickwork --help lists the jobs commands', async () => {
    const { stdout } = await run('npx', ['--no-install', 'tickwork', '--help'], { cwd: project });
    for (const command of ['jobs list', 'jobs get', 'jobs add', 'jobs rm', 'jobs pause', 'jobs resume', 'jobs run', 'jobs runs', 'serve']) {
      expect(stdout).toContain(command);
    }
  }, 60_000);

  it('node node_modules/tickwork/dist/cli.js serve answers /api/v1/health, the CLI lists its jobs, SIGTERM exits 0', async () => {
    // The server's defaults, as in a fresh shell: none of this environment's Tickwork settings.
    const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('TICKWORK_') && name !== 'HOST' && name !== 'PORT'));
    const child = spawn(process.execPath, ['node_modules/tickwork/dist/cli.js', 'serve', '--port', '0'], {
      cwd: project,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const lines = collectJsonLines(child);
      const deadline = Date.now() + 30_000;
      let listening: Record<string, unknown> | undefined;
      while ((listening = lines.find((l) => l.event === 'server_listening')) === undefined) {
        if (child.exitCode !== null || Date.now() > deadline) throw new Error(`no server_listening line:\n${lines.map((l) => JSON.stringify(l)).join('\n')}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      const url = String(listening.url);
      expect(listening.store).toBe('sqlite:./data/tickwork.db');
      const health = await fetch(`${url}/api/v1/health`);
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: 'ok' });
      const { stdout } = await run(process.execPath, ['node_modules/.bin/tickwork', 'jobs', 'list', '--json', '--url', url], { cwd: project });
      expect(JSON.parse(stdout)).toEqual({ items: [], nextCursor: null });
      child.kill('SIGTERM');
      const [code] = (await once(child, 'exit')) as [number | null];
      expect(code).toBe(0);
      expect(lines.some((l) => l.event === 'scheduler_stopped')).toBe(true);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 60_000);
});
