/**
 * Built-in task `shell`: runs one command of the operator's allow-list (`shell.allow` in the config, see
 * ShellAllowEntry below). Job args: `{ command, args?, cwd?, timeoutSeconds? }`.
 *
 * - `command` is an absolute path matched exactly against the list; `args` go to the program as an array,
 *   never through a shell. An entry may fix an argv prefix, the directory it runs in and extra env names;
 *   a job may pass `cwd` only when its entry sets one, and only that directory or one inside it (checked
 *   again through symbolic links at run time).
 * - The args are checked when a job is created (`checkArgs`, a 400 on the API) and again at every run,
 *   against the list the server runs with now.
 * - The child's environment is PATH, HOME and LANG (PATH defaults to /usr/local/bin:/usr/bin:/bin) plus the
 *   entry's `env` names: never the server's keys, store URL or anything else; TICKWORK_* names are refused.
 * - stdout and stderr go to one buffer that keeps the last 4096 characters: the run's output, or the
 *   `output` of its error. Output size never stops the child.
 * - The child leads its own process group (POSIX). When `timeoutSeconds` (default 300, at most 86400)
 *   elapses or the run's signal aborts (job timeout, cancel, shutdown), the whole group gets SIGTERM, then
 *   SIGKILL 2 s later, so background children go too.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { realpath } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { InvalidArgumentError } from '../core/errors.js';
import type { JobContext, JobFunction } from '../core/job.js';
import { describeType } from '../core/format.js';
import type { RunErrorCode } from '../core/run-errors.js';
import { MAX_OUTPUT_CHARS } from '../scheduler/run-text.js';

/** The run keeps this much output anyway (run-text.ts): the task keeps no more. */
const TAIL_CHARS = MAX_OUTPUT_CHARS;
const DEFAULT_TIMEOUT_SECONDS = 300;
const MAX_TIMEOUT_SECONDS = 86_400;
const KILL_GRACE_MS = 2_000;
const DEFAULT_PATH = '/usr/local/bin:/usr/bin:/bin';
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const ENTRY_FIELDS = ['command', 'args', 'cwd', 'env'];
const ARG_FIELDS = ['command', 'args', 'cwd', 'timeoutSeconds'];
const ARGS_SHAPE = '{ command: "/absolute/path", args?: ["..."], cwd?: "/dir", timeoutSeconds?: 300 }';

/**
 * The shape of the shell task's args (its registered argsSchema). The allow-list, the `cwd` rules and
 * NUL characters are checked by the task's checkArgs and again at every run.
 */
export const shellArgsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['command'],
  properties: {
    command: { type: 'string', minLength: 1, description: 'The absolute path of a command listed in shell.allow.' },
    args: { type: 'array', items: { type: 'string' }, description: 'Passed to the program as they are, never through a shell.' },
    cwd: { type: 'string', description: "A directory inside the allow-list entry's cwd." },
    timeoutSeconds: { type: 'number', exclusiveMinimum: 0, maximum: MAX_TIMEOUT_SECONDS, description: `Default ${DEFAULT_TIMEOUT_SECONDS}.` },
  },
};

/** The shell task's function and the args check to register it with. */
export interface ShellTask {
  func: JobFunction;
  checkArgs: (args: unknown) => void;
}

/** One validated allow-list entry. */
interface Rule {
  command: string;
  prefix: readonly string[];
  cwd: string | null;
  env: readonly string[];
}

/** Checked job args and the entry that allows them. */
interface ShellRun {
  rule: Rule;
  command: string;
  argv: string[];
  cwd: string | null;
  /** The job chose `cwd` (inside the entry's): checked again through symbolic links before the start. */
  jobCwd: boolean;
  timeoutSeconds: number;
}

/**
 * Builds the shell task from `shell.allow`; throws an InvalidArgumentError naming the entry when one is
 * malformed (a relative path, an unknown field, a wrong type), so that the server does not start with it.
 */
/**
 * One command the `shell` task may run, as an absolute path. A plain string allows the program with any
 * arguments: the operator's choice, so listing a shell or interpreter (`/bin/sh`, `/usr/bin/python3`)
 * lets jobs run anything it can. An object narrows it:
 *
 * - `args`: a fixed argv prefix; a run is allowed only if its argv starts with it (what follows is the job's).
 * - `cwd`: an absolute directory the command runs in (else the server's working directory). A job may pass
 *   its own `cwd` only when the entry sets one, and only that directory or one inside it.
 * - `env`: names of extra environment variables passed through from the server's environment. The child
 *   otherwise gets only PATH, HOME and LANG; TICKWORK_* names are refused.
 *
 * Several entries may name the same command (say, with different prefixes): a run is allowed if any
 * entry matches, and the first one that matches gives its `cwd` and `env`.
 */
export type ShellAllowEntry = string | { command: string; args?: string[]; cwd?: string; env?: string[] };

export function createShellTask(allow: readonly ShellAllowEntry[]): ShellTask {
  const rules = parseAllow(allow);
  return {
    func: (ctx: JobContext): Promise<string> => execute(resolveRun(rules, ctx.args), ctx.signal),
    checkArgs: (args: unknown): void => void resolveRun(rules, args),
  };
}

function quote(text: string): string {
  return JSON.stringify(text.length > 100 ? `${text.slice(0, 100)}…` : text);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `path` itself or a directory below it (both absolute and normalized). */
function isInside(base: string, path: string): boolean {
  const rel = relative(base, path);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

function noNul(value: string, path: string): string {
  if (value.includes('\0')) throw InvalidArgumentError.field(path, 'must not contain a NUL character.');
  return value;
}

function stringArray(value: unknown, path: string, fix: string): string[] {
  if (!Array.isArray(value) || !value.every((x) => typeof x === 'string')) {
    throw InvalidArgumentError.field(path, `must be an array of strings, got ${describeType(value)}; ${fix}`);
  }
  value.forEach((x: string, i) => noNul(x, `${path}[${i}]`));
  return value as string[];
}

function absolutePath(value: unknown, path: string, what: 'command' | 'directory'): string {
  if (typeof value !== 'string') throw InvalidArgumentError.field(path, `must be the absolute path of a ${what} (a string), got ${describeType(value)}.`);
  noNul(value, path);
  if (!isAbsolute(value)) {
    const hint = what === 'command' && value !== '' && !value.includes('/') ? ` (find it with \`command -v ${value}\`, e.g. "/usr/bin/${value}")` : '';
    throw InvalidArgumentError.field(path, `${quote(value)} is not an absolute path; write the full path of the ${what}${hint}.`);
  }
  return what === 'directory' ? resolve(value) : value;
}

function parseAllow(allow: unknown): Rule[] {
  if (!Array.isArray(allow)) {
    throw InvalidArgumentError.field(
      'shell.allow',
      `must be an array of absolute command paths or { command, args?, cwd?, env? } entries, got ${describeType(allow)}.`,
    );
  }
  return allow.map((entry: unknown, index) => parseEntry(entry, `shell.allow[${index}]`));
}

function parseEntry(entry: unknown, path: string): Rule {
  if (typeof entry === 'string') return { command: absolutePath(entry, path, 'command'), prefix: [], cwd: null, env: [] };
  if (!isRecord(entry)) {
    throw InvalidArgumentError.field(path, `must be an absolute command path or { command, args?, cwd?, env? }, got ${describeType(entry)}.`);
  }
  for (const key of Object.keys(entry)) {
    if (!ENTRY_FIELDS.includes(key))
      throw InvalidArgumentError.field(`${path}.${key}`, 'unknown field; an entry takes command, args (argv prefix), cwd and env (variable names).');
  }
  const command = absolutePath(entry.command, `${path}.command`, 'command');
  const prefix = entry.args === undefined ? [] : stringArray(entry.args, `${path}.args`, 'it is the argv prefix every run must start with.');
  const cwd = entry.cwd === undefined ? null : absolutePath(entry.cwd, `${path}.cwd`, 'directory');
  const env = entry.env === undefined ? [] : stringArray(entry.env, `${path}.env`, 'list the names of variables to pass through.');
  env.forEach((name, i) => {
    if (!ENV_NAME.test(name))
      throw InvalidArgumentError.field(`${path}.env[${i}]`, `${quote(name)} is not a variable name (letters, digits and _, not starting with a digit).`);
    if (/^TICKWORK_/i.test(name))
      throw InvalidArgumentError.field(
        `${path}.env[${i}]`,
        `${name} is the server's own setting and is never passed to commands; give the command what it needs under another name.`,
      );
  });
  return { command, prefix: [...prefix], cwd, env: [...env] };
}

function startsWith(argv: readonly string[], prefix: readonly string[]): boolean {
  return prefix.length <= argv.length && prefix.every((arg, i) => argv[i] === arg);
}

function allowedCommands(rules: readonly Rule[]): string {
  if (rules.length === 0) return 'shell.allow is empty, so no command may run';
  const commands = [...new Set(rules.map((r) => r.command))];
  const shown = commands.slice(0, 5).join(', ');
  return `allowed: ${shown}${commands.length > 5 ? ` and ${commands.length - 5} more` : ''}`;
}

/** Checks job args against the rules; returns the run, or throws an InvalidArgumentError naming the field. */
function resolveRun(rules: readonly Rule[], args: unknown): ShellRun {
  if (!isRecord(args)) throw InvalidArgumentError.field('args', `the shell task needs ${ARGS_SHAPE}, got ${describeType(args)}.`);
  for (const key of Object.keys(args)) {
    if (!ARG_FIELDS.includes(key))
      throw InvalidArgumentError.field(`args.${key}`, 'unknown field; the shell task takes command, args, cwd and timeoutSeconds.');
  }
  const { command } = args;
  if (typeof command !== 'string' || command === '')
    throw InvalidArgumentError.field(
      'args.command',
      `must be the absolute path of a command in shell.allow, got ${describeType(command)}; the shell task needs ${ARGS_SHAPE}.`,
    );
  noNul(command, 'args.command');
  const argv = args.args === undefined ? [] : stringArray(args.args, 'args.args', 'they are passed to the program as they are, never through a shell.');
  const jobCwd = args.cwd === undefined ? null : absolutePath(args.cwd, 'args.cwd', 'directory');
  const timeoutSeconds = args.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS;
  if (typeof timeoutSeconds !== 'number' || !(timeoutSeconds > 0 && timeoutSeconds <= MAX_TIMEOUT_SECONDS)) {
    throw InvalidArgumentError.field(
      'args.timeoutSeconds',
      `must be a number of seconds above 0 and at most ${MAX_TIMEOUT_SECONDS} (one day), got ${typeof timeoutSeconds === 'number' ? String(timeoutSeconds) : describeType(timeoutSeconds)}; the default is ${DEFAULT_TIMEOUT_SECONDS}.`,
    );
  }

  const forCommand = rules.filter((r) => r.command === command);
  if (forCommand.length === 0) {
    const what = isAbsolute(command) ? 'is not in shell.allow' : 'is not an absolute path listed in shell.allow';
    throw InvalidArgumentError.field(
      'args.command',
      `${quote(command)} ${what} (${allowedCommands(rules)}); use a listed path, or have an operator add it to shell.allow in the config.`,
    );
  }
  const byPrefix = forCommand.filter((r) => startsWith(argv, r.prefix));
  if (byPrefix.length === 0) {
    const prefixes = forCommand.map((r) => JSON.stringify(r.prefix)).join(' or ');
    throw InvalidArgumentError.field('args.args', `${command} is allowed only with arguments starting with ${prefixes}; start args with one of them.`);
  }
  if (jobCwd === null) {
    const rule = byPrefix[0] as Rule;
    return { rule, command, argv, cwd: rule.cwd, jobCwd: false, timeoutSeconds };
  }
  const rule = byPrefix.find((r) => r.cwd !== null && isInside(r.cwd, jobCwd));
  if (rule === undefined) {
    const dirs = [...new Set(byPrefix.flatMap((r) => (r.cwd === null ? [] : [r.cwd])))];
    throw InvalidArgumentError.field(
      'args.cwd',
      dirs.length === 0
        ? `${command} runs where its shell.allow entry says and that entry sets no cwd, so a job may not choose one; remove args.cwd, or have an operator set cwd in the entry.`
        : `${quote(jobCwd)} is outside the directory of ${command}'s shell.allow entry (${dirs.join(', ')}); a job's cwd must be that directory or one inside it.`,
    );
  }
  return { rule, command, argv, cwd: jobCwd, jobCwd: true, timeoutSeconds };
}

/** The child's whole environment: PATH, HOME, LANG and the entry's names, from the server's environment. */
function childEnv(rule: Rule): Record<string, string> {
  const env: Record<string, string> = { PATH: process.env.PATH ?? DEFAULT_PATH };
  for (const name of ['HOME', 'LANG', ...rule.env]) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  return env;
}

function runError(message: string, code: RunErrorCode, output: string): Error {
  return Object.assign(new Error(message), { code, output });
}

/** A job's own cwd must still be inside its entry's directory once symbolic links are followed. */
async function checkRealCwd(run: ShellRun): Promise<void> {
  const base = run.rule.cwd as string;
  const dir = run.cwd as string;
  let real: [string, string];
  try {
    real = await Promise.all([realpath(base), realpath(dir)]);
  } catch (error) {
    throw runError(
      `${run.command} could not be started: its directory ${dir} cannot be resolved (${(error as NodeJS.ErrnoException).code ?? String(error)}); create it or fix args.cwd.`,
      'SHELL_FAILED',
      '',
    );
  }
  if (!isInside(real[0], real[1])) {
    throw InvalidArgumentError.field(
      'args.cwd',
      `${quote(dir)} leads outside ${base} through a symbolic link; a job's cwd must be inside its entry's directory.`,
    );
  }
}

function startError(run: ShellRun, error: NodeJS.ErrnoException): Error {
  const where = run.cwd === null ? '' : ` or the directory ${run.cwd}`;
  const hint = error.code === 'ENOENT' ? `: the command${where} does not exist` : error.code === 'EACCES' ? ': permission denied (is it executable?)' : '';
  return runError(`${run.command} could not be started (${error.code ?? error.message})${hint}.`, 'SHELL_FAILED', '');
}

async function execute(run: ShellRun, signal: AbortSignal): Promise<string> {
  if (run.jobCwd) await checkRealCwd(run);
  if (signal.aborted) throw runError(`${run.command} was cancelled before it started.`, 'SHELL_CANCELLED', '');
  return new Promise<string>((resolvePromise, reject) => {
    let child: ChildProcess;
    try {
      child = spawn(run.command, run.argv, {
        shell: false,
        detached: true,
        windowsHide: true,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: childEnv(run.rule),
        ...(run.cwd === null ? {} : { cwd: run.cwd }),
      });
    } catch (error) {
      reject(startError(run, error as NodeJS.ErrnoException));
      return;
    }

    let tail = '';
    let settled = false;
    let exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
    let stopping: 'timeout' | 'cancel' | null = null;
    // After SIGKILL the run ends once the leader has exited, even if an escaped process holds the pipes.
    let killSent = false;
    let graceTimer: NodeJS.Timeout | null = null;

    const append = (chunk: string): void => {
      tail += chunk;
      if (tail.length > 2 * TAIL_CHARS) tail = tail.slice(-TAIL_CHARS);
    };
    const output = (): string => {
      const kept = tail.slice(-TAIL_CHARS);
      const first = kept.charCodeAt(0);
      return first >= 0xdc00 && first <= 0xdfff ? kept.slice(1) : kept; // not half a surrogate pair
    };
    const killGroup = (sig: NodeJS.Signals): void => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, sig);
      } catch {
        // ESRCH: the group is gone already.
      }
    };
    const stop = (why: 'timeout' | 'cancel'): void => {
      if (settled || stopping !== null) return;
      stopping = why;
      clearTimeout(timeoutTimer);
      killGroup('SIGTERM');
      graceTimer = setTimeout(() => {
        graceTimer = null;
        killGroup('SIGKILL');
        killSent = true;
        if (exit !== null) finish();
      }, KILL_GRACE_MS);
    };
    const onAbort = (): void => stop('cancel');
    const timeoutTimer = setTimeout(() => stop('timeout'), run.timeoutSeconds * 1000);
    signal.addEventListener('abort', onAbort, { once: true });

    const finish = (startFailure?: NodeJS.ErrnoException): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timeoutTimer);
      if (graceTimer !== null) clearTimeout(graceTimer);
      signal.removeEventListener('abort', onAbort);
      child.stdout?.destroy();
      child.stderr?.destroy();
      const out = output();
      if (startFailure !== undefined) {
        reject(startError(run, startFailure));
      } else if (stopping === 'timeout') {
        reject(runError(`${run.command} timed out after ${run.timeoutSeconds} s; its process group was killed.`, 'SHELL_TIMED_OUT', out));
      } else if (stopping === 'cancel') {
        const reason = signal.reason instanceof Error ? signal.reason.message : 'its signal was aborted';
        reject(runError(`${run.command} was cancelled (${reason}); its process group was killed.`, 'SHELL_CANCELLED', out));
      } else if (exit?.code === 0) {
        resolvePromise(out === '' ? 'exit code 0' : out);
      } else {
        const how = exit?.signal != null ? `killed by ${exit.signal}` : `exit code ${String(exit?.code)}`;
        reject(runError(`${run.command} failed: ${how}`, 'SHELL_FAILED', out));
      }
    };

    for (const stream of [child.stdout, child.stderr]) {
      stream?.setEncoding('utf8');
      stream?.on('data', append);
      stream?.on('error', () => undefined); // a broken pipe ends the output, not the server
    }
    child.on('error', (error: NodeJS.ErrnoException) => {
      if (child.pid === undefined) finish(error); // could not spawn (ENOENT, EACCES, ...)
    });
    child.on('exit', (code, sig) => {
      exit = { code, signal: sig };
      if (killSent) finish();
    });
    child.on('close', (code, sig) => {
      exit ??= { code, signal: sig };
      finish();
    });
  });
}
