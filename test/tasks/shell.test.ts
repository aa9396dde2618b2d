/**
 * The shell task's allow-list: entries (absolute paths, argv prefixes, cwd, env names) checked at server
 * start, job args checked at creation and at run time, a minimal environment, a bounded output tail, and
 * timeout or cancel killing the whole process group. Real processes; every wait has a deadline.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ShellAllowEntry } from '../../src/config.js';
import { RunContext } from '../../src/scheduler/run-context.js';
import { MemoryJobStore } from '../../src/stores/memory.js';
import { registerBuiltInTasks } from '../../src/tasks/index.js';
import { createShellTask } from '../../src/tasks/shell.js';
import { captureLogger, harness, REFERENCE, type Harness } from '../helpers.js';

const NODE = process.execPath;
const ctx = (args: unknown): RunContext => new RunContext('shell-job', REFERENCE, 1, args, captureLogger());
const run = (allow: ShellAllowEntry[], args: unknown): Promise<unknown> => Promise.resolve(createShellTask(allow).func(ctx(args)));

let dir = '';
const savedEnv = new Map<string, string | undefined>();
function setEnv(name: string, value: string): void {
  if (!savedEnv.has(name)) savedEnv.set(name, process.env[name]);
  process.env[name] = value;
}
beforeEach(() => {
  dir = realpathSync(mkdtempSync(join(tmpdir(), 'tickwork-shell-')));
});
afterEach(() => {
  for (const [name, value] of savedEnv) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  savedEnv.clear();
  rmSync(dir, { recursive: true, force: true });
});

/** Whether `pid` is a live process (a zombie left for an init that does not reap counts as dead). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** Polls `check` until it holds or `ms` pass; returns whether it held. */
async function until(check: () => boolean, ms = 5_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return true;
}

/** A shell that starts a background `sleep 30`, writes "<sh pid> <sleep pid>" to `file` (atomically), and waits. */
const SPAWNS_GRANDCHILD = 'sleep 30 & echo "$$ $!" > "$1.tmp" && mv "$1.tmp" "$1"; echo started; wait';

describe('allow-list entries (checked when the task is created, i.e. at server start)', () => {
  it('refuses relative paths, unknown fields, wrong types and TICKWORK_* env names, naming the entry', () => {
    const refused = (allow: unknown, message: RegExp): void => {
      expect(() => createShellTask(allow as ShellAllowEntry[])).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(message) }),
      );
    };
    refused(['/bin/echo', 'echo'], /^shell\.allow\[1\]: "echo" is not an absolute path; write the full path of the command \(find it with `command -v echo`/);
    refused([{ command: './backup.sh' }], /^shell\.allow\[0\]\.command: "\.\/backup\.sh" is not an absolute path/);
    refused([{ command: '/bin/pwd', cwd: 'data' }], /^shell\.allow\[0\]\.cwd: "data" is not an absolute path; write the full path of the directory/);
    refused([{ command: '/bin/pwd', allowJobCwd: true }], /^shell\.allow\[0\]\.allowJobCwd: unknown field/);
    refused([{ command: '/bin/echo', args: '--target' }], /^shell\.allow\[0\]\.args: must be an array of strings/);
    refused([{ command: '/usr/bin/env', env: ['TICKWORK_ADMIN_KEY'] }], /^shell\.allow\[0\]\.env\[0\]: TICKWORK_ADMIN_KEY is the server's own setting/);
    refused([{ command: '/usr/bin/env', env: ['A=B'] }], /^shell\.allow\[0\]\.env\[0\]: "A=B" is not a variable name/);
    refused([42], /^shell\.allow\[0\]: must be an absolute command path or \{ command/);
    refused('/bin/echo', /^shell\.allow: must be an array/);
  });

  it('makes registerBuiltInTasks (what `tickwork serve` calls) throw, and registers nothing for an empty list', async () => {
    const h = harness({ store: new MemoryJobStore() });
    expect(() => registerBuiltInTasks(h.scheduler, ['sh'])).toThrow(/shell\.allow\[0\]: "sh" is not an absolute path/);
    const empty = harness({ store: new MemoryJobStore() });
    registerBuiltInTasks(empty.scheduler, []);
    await empty.scheduler.start();
    await expect(
      empty.scheduler.addJob({ id: 'x', task: 'shell', args: { command: '/bin/echo' }, trigger: { type: 'interval', seconds: 60 } }),
    ).rejects.toMatchObject({ code: 'TASK_NOT_REGISTERED' });
    await empty.scheduler.shutdown();
  });
});

describe('job args', () => {
  const allow: ShellAllowEntry[] = [
    { command: '/bin/echo', args: ['--target'] },
    { command: '/bin/echo', args: ['hello'] },
  ];

  it('allows a run whose argv starts with the prefix of any entry for the command, and refuses others', async () => {
    const { checkArgs } = createShellTask(allow);
    expect(() => checkArgs({ command: '/bin/echo', args: ['--target', 'nas'] })).not.toThrow();
    expect(() => checkArgs({ command: '/bin/echo', args: ['hello', 'world'] })).not.toThrow();
    expect(await run(allow, { command: '/bin/echo', args: ['--target', 'nas'] })).toBe('--target nas\n');
    const prefixError = /^args\.args: \/bin\/echo is allowed only with arguments starting with \["--target"\] or \["hello"\]; start args with one of them\.$/;
    expect(() => checkArgs({ command: '/bin/echo', args: ['nas', '--target'] })).toThrow(prefixError);
    expect(() => checkArgs({ command: '/bin/echo' })).toThrow(prefixError);
    // A plain string entry allows any argv.
    expect(() => createShellTask(['/bin/echo']).checkArgs({ command: '/bin/echo', args: ['anything'] })).not.toThrow();
  });

  it('refuses a command not listed, a relative command, bad types, unknown fields and unbounded timeouts', () => {
    const { checkArgs } = createShellTask(allow);
    expect(() => checkArgs({ command: '/bin/rm', args: ['-rf', '/'] })).toThrow(
      /^args\.command: "\/bin\/rm" is not in shell\.allow \(allowed: \/bin\/echo\); use a listed path, or have an operator add it/,
    );
    expect(() => checkArgs({ command: 'echo', args: ['--target'] })).toThrow(/^args\.command: "echo" is not an absolute path listed in shell\.allow/);
    expect(() => checkArgs(undefined)).toThrow(/^args: the shell task needs \{ command: "\/absolute\/path"/);
    expect(() => checkArgs({ command: '/bin/echo', args: '--target x' })).toThrow(/^args\.args: must be an array of strings/);
    expect(() => checkArgs({ command: '/bin/echo', args: ['--target'], timeout: 5 })).toThrow(
      /^args\.timeout: unknown field; the shell task takes command, args, cwd and timeoutSeconds/,
    );
    for (const timeoutSeconds of [0, -1, 86_401, Number.NaN, '5']) {
      expect(() => checkArgs({ command: '/bin/echo', args: ['--target'], timeoutSeconds })).toThrow(
        /^args\.timeoutSeconds: must be a number of seconds above 0 and at most 86400/,
      );
    }
    expect(() => checkArgs({ command: '/bin/echo', args: ['--target'], timeoutSeconds: 86_400 })).not.toThrow();
  });

  it('checks again at run time, against the list the server runs with now', () => {
    const args = { command: '/bin/echo', args: ['--target', 'nas'] };
    expect(() => createShellTask(allow).checkArgs(args)).not.toThrow();
    expect(() => createShellTask(['/bin/pwd']).func(ctx(args))).toThrow(/^args\.command: "\/bin\/echo" is not in shell\.allow/);
  });
});

describe('through the scheduler (addJob / updateJob)', () => {
  let h: Harness | null = null;
  afterEach(async () => {
    await h?.scheduler.shutdown({ wait: false });
    h = null;
  });
  const trigger = { type: 'interval', seconds: 3600 } as const;

  it('refuses a job cwd when the entry sets none, or one outside the entry cwd; accepts one inside', async () => {
    mkdirSync(join(dir, 'reports'));
    h = harness({ store: new MemoryJobStore() });
    registerBuiltInTasks(h.scheduler, ['/bin/pwd', { command: '/bin/ls', cwd: dir }]);
    await h.scheduler.start();
    await expect(h.scheduler.addJob({ id: 'a', task: 'shell', args: { command: '/bin/pwd', cwd: '/etc' }, trigger })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringMatching(
        /^args\.cwd: \/bin\/pwd runs where its shell\.allow entry says and that entry sets no cwd, so a job may not choose one; remove args\.cwd/,
      ),
    });
    await expect(h.scheduler.addJob({ id: 'b', task: 'shell', args: { command: '/bin/ls', cwd: join(dir, '..') }, trigger })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringMatching(/^args\.cwd: ".*" is outside the directory of \/bin\/ls's shell\.allow entry/),
    });
    await expect(h.scheduler.addJob({ id: 'c', task: 'shell', args: { command: '/bin/ls', cwd: `${dir}/reports/../../etc` }, trigger })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    await expect(h.scheduler.addJob({ id: 'd', task: 'shell', args: { command: '/bin/ls', cwd: join(dir, 'reports') }, trigger })).resolves.toMatchObject({
      id: 'd',
    });
    await expect(h.scheduler.updateJob('d', { args: { command: '/bin/ls', cwd: '/' } })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(h.scheduler.addJob({ id: 'e', task: 'shell', args: { command: '/bin/sh', args: ['-c', 'id'] }, trigger })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringMatching(/^args\.command: "\/bin\/sh" is not in shell\.allow/),
    });
  });

  it('records a failed run with its error and the output tail', async () => {
    h = harness({ store: new MemoryJobStore() });
    registerBuiltInTasks(h.scheduler, ['/bin/sh']);
    await h.scheduler.start();
    await h.scheduler.addJob({ id: 'fails', task: 'shell', args: { command: '/bin/sh', args: ['-c', 'echo partial; echo oops >&2; exit 4'] }, trigger });
    const failed = new Promise((resolve) => h?.scheduler.on('job_error', resolve));
    await h.scheduler.runJobNow('fails');
    expect(await failed).toMatchObject({ jobId: 'fails', outcome: 'failed', error: { code: 'SHELL_FAILED', message: '/bin/sh failed: exit code 4' } });
    const output = (await h.scheduler.getJob('fails'))?.lastRun?.output;
    expect(['partial\noops\n', 'oops\npartial\n']).toContain(output); // stdout and stderr, as they arrived
  });
});

describe('running', () => {
  it('gives the child only PATH, HOME, LANG and the entry env names, never the server variables', async () => {
    setEnv('TICKWORK_ADMIN_KEY', 'admin-secret-123');
    setEnv('TICKWORK_STORE', 'postgres://user:store-secret-456@db/tickwork');
    setEnv('SHELL_TEST_PASSED', 'passed-through');
    setEnv('SHELL_TEST_HIDDEN', 'hidden-value');
    const out = String(await run([{ command: '/usr/bin/env', env: ['SHELL_TEST_PASSED'] }], { command: '/usr/bin/env' }));
    const names = out
      .trim()
      .split('\n')
      .map((line) => line.slice(0, line.indexOf('=')));
    expect(out).toContain('SHELL_TEST_PASSED=passed-through\n');
    expect(out).toContain(`PATH=${process.env.PATH ?? ''}\n`);
    expect(names.every((name) => ['PATH', 'HOME', 'LANG', 'SHELL_TEST_PASSED'].includes(name))).toBe(true);
    expect(out).not.toMatch(/TICKWORK_|admin-secret|store-secret|hidden-value/);
  });

  it('defaults PATH when the server has none', async () => {
    setEnv('PATH', '');
    delete process.env.PATH;
    expect(await run(['/usr/bin/env'], { command: '/usr/bin/env' })).toMatch(/^PATH=\/usr\/local\/bin:\/usr\/bin:\/bin$/m);
  });

  it("runs in the entry's cwd, or in a job cwd inside it", async () => {
    mkdirSync(join(dir, 'sub'));
    expect(await run([{ command: '/bin/pwd', cwd: dir }], { command: '/bin/pwd' })).toBe(`${dir}\n`);
    expect(await run([{ command: '/bin/pwd', cwd: dir }], { command: '/bin/pwd', cwd: join(dir, 'sub') })).toBe(`${join(dir, 'sub')}\n`);
  });

  it('refuses at run time a job cwd that leaves the entry cwd through a symbolic link', async () => {
    symlinkSync('/', join(dir, 'escape'));
    const allow = [{ command: '/bin/pwd', cwd: dir }];
    expect(() => createShellTask(allow).checkArgs({ command: '/bin/pwd', cwd: join(dir, 'escape') })).not.toThrow(); // lexically inside
    await expect(run(allow, { command: '/bin/pwd', cwd: join(dir, 'escape') })).rejects.toThrow(
      /^args\.cwd: ".*escape" leads outside .* through a symbolic link/,
    );
  });

  it('keeps the last 4096 characters of more than 1 MiB of output, without killing the child', async () => {
    const script = 'process.stdout.write("x".repeat(1536 * 1024)); process.stdout.write("0123456789".repeat(500))';
    // Resolved: the run succeeded (exit code 0), it was not stopped for its output.
    expect(await run([NODE], { command: NODE, args: ['-e', script] })).toBe('0123456789'.repeat(500).slice(-4096));
  });

  it('keeps stdout and stderr in one tail, in the order the chunks arrive', async () => {
    const out = String(await run(['/bin/sh'], { command: '/bin/sh', args: ['-c', 'echo one; echo two >&2; echo three'] }));
    // Two pipes: a chunk of one may be read before an earlier chunk of the other; each keeps its own order.
    expect(out.split('\n').filter((line) => line !== 'two')).toEqual(['one', 'three', '']);
    expect(out).toContain('two\n');
  });

  it('returns "exit code 0" for a silent success, and reports a signal or a missing program', async () => {
    expect(await run(['/bin/sh'], { command: '/bin/sh', args: ['-c', 'true'] })).toBe('exit code 0');
    await expect(run(['/bin/sh'], { command: '/bin/sh', args: ['-c', 'echo bye; kill -TERM $$'] })).rejects.toMatchObject({
      code: 'SHELL_FAILED',
      message: '/bin/sh failed: killed by SIGTERM',
      output: 'bye\n',
    });
    await expect(run(['/nonexistent/tickwork-tool'], { command: '/nonexistent/tickwork-tool' })).rejects.toMatchObject({
      code: 'SHELL_FAILED',
      message: '/nonexistent/tickwork-tool could not be started (ENOENT): the command does not exist.',
    });
  });

  it('on timeout kills the whole process group, a background grandchild too', async () => {
    const pidFile = join(dir, 'pids');
    const started = Date.now();
    const error = await run(['/bin/sh'], { command: '/bin/sh', args: ['-c', SPAWNS_GRANDCHILD, 'sh', pidFile], timeoutSeconds: 0.5 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'SHELL_TIMED_OUT', message: '/bin/sh timed out after 0.5 s; its process group was killed.', output: 'started\n' });
    expect(Date.now() - started).toBeLessThan(2_000); // SIGTERM was enough: no SIGKILL grace
    const [sh, sleep] = readFileSync(pidFile, 'utf8').trim().split(' ').map(Number) as [number, number];
    expect(await until(() => !isAlive(sh) && !isAlive(sleep))).toBe(true);
  });

  it('on cancel (the run signal) kills the group, with SIGKILL when SIGTERM is ignored', async () => {
    const pidFile = join(dir, 'pids');
    const context = ctx({ command: '/bin/sh', args: ['-c', `trap "" TERM; ${SPAWNS_GRANDCHILD}`, 'sh', pidFile] });
    const result = Promise.resolve(createShellTask(['/bin/sh']).func(context)).catch((e: unknown) => e);
    expect(await until(() => existsSync(pidFile))).toBe(true);
    const [sh, sleep] = readFileSync(pidFile, 'utf8').trim().split(' ').map(Number) as [number, number];
    context.abort(new Error('cancelled by test'));
    expect(await result).toMatchObject({ code: 'SHELL_CANCELLED', message: '/bin/sh was cancelled (cancelled by test); its process group was killed.' });
    expect(await until(() => !isAlive(sh) && !isAlive(sleep))).toBe(true);
  });
});
