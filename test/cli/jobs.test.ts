/** `tickwork jobs ...` against a real server on a socket: each command, its table, its --json, its errors. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { REFERENCE } from '../helpers.js';
import { cli, liveServer, type LiveServer } from './cli-helpers.js';

let server: LiveServer;
beforeAll(async () => {
  server = await liveServer();
});
afterAll(async () => {
  await server.app.close();
});
beforeEach(async () => {
  for (const job of (await server.scheduler.getJobs()).items) await server.scheduler.removeJob(job.id);
});

const api = async (path: string): Promise<unknown> => (await fetch(`${server.url}/api/v1/${path}`)).json();
const at = (argv: string[]): string[] => [...argv, '--url', server.url];

async function addNoop(id: string, seconds = 60): Promise<void> {
  await server.scheduler.addJob({ id, task: 'noop', trigger: { type: 'interval', seconds } });
}

describe('tickwork jobs list', () => {
  it('--json prints the API job list as JSON', async () => {
    await addNoop('alpha');
    await addNoop('beta', 3600);
    const result = await cli(at(['jobs', 'list', '--json']));
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(result.stdout)).toEqual(await api('jobs'));
    expect(JSON.parse(result.stdout)).toMatchObject({ items: [{ id: 'alpha' }, { id: 'beta' }], nextCursor: null });
  });

  it('prints a table: schedule in words, countdown to the next run, health, last run', async () => {
    await addNoop('alpha');
    await server.scheduler.addJob({ id: 'nightly', task: 'noop', trigger: { type: 'cron', expression: '30 2 * * *', timezone: 'Europe/Berlin' } });
    await server.scheduler.addJob({ id: 'held', task: 'noop', trigger: { type: 'interval', seconds: 10 }, paused: true });
    const { code, stdout } = await cli(at(['jobs', 'list']));
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID\s+SCHEDULE\s+NEXT RUN\s+HEALTH\s+LAST RUN$/);
    expect(lines[1]).toMatch(/^alpha\s+every minute\s+in 1m\s+pending\s+-$/);
    // 2026-01-01T00:00Z is 01:00 in Berlin: the next 02:30 there is 1 h 30 min away.
    expect(lines[2]).toMatch(/^held\s+every 10 seconds\s+paused\s+paused\s+-$/);
    expect(lines[3]).toMatch(/^nightly\s+at 02:30 every day, Europe\/Berlin\s+in 1h 30m\s+pending\s+-$/);
  });

  it('follows nextCursor past one page, and with --limit prints one page as the API answers it', async () => {
    for (let i = 0; i < 5; i++) await addNoop(`job-${i}`);
    const page = await cli(at(['jobs', 'list', '--json', '--limit', '2']));
    const first = (await api('jobs?limit=2')) as { nextCursor: string };
    expect(JSON.parse(page.stdout)).toEqual(first);
    const next = await cli(at(['jobs', 'list', '--json', '--limit', '2', '--cursor', first.nextCursor]));
    expect(JSON.parse(next.stdout)).toEqual(await api(`jobs?limit=2&cursor=${encodeURIComponent(first.nextCursor)}`));
    const table = await cli(at(['jobs', 'list', '--limit', '2']));
    expect(table.stdout).toContain(`--cursor ${first.nextCursor}`);
  });

  it('passes --search, --state, --health and --sort to the API; refuses unknown values before sending', async () => {
    await addNoop('alpha');
    await addNoop('beta');
    await server.scheduler.pauseJob('beta');
    const paused = await cli(at(['jobs', 'list', '--json', '--state', 'paused']));
    expect((JSON.parse(paused.stdout) as { items: { id: string }[] }).items.map((j) => j.id)).toEqual(['beta']);
    const search = await cli(at(['jobs', 'list', '--json', '--search', 'alp', '--health', 'pending,failing', '--sort', 'nextRunTime']));
    expect((JSON.parse(search.stdout) as { items: { id: string }[] }).items.map((j) => j.id)).toEqual(['alpha']);
    const bad = await cli(at(['jobs', 'list', '--health', 'sick']));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--health must be one of ok, failing, overdue, paused, pending, got "sick"');
  });
});

describe('tickwork jobs get', () => {
  it('--json prints the job as the API answers it; the table shows schedule, next run, health and policies', async () => {
    await server.scheduler.addJob({
      id: 'nightly',
      task: 'log',
      args: { message: 'hi' },
      trigger: { type: 'cron', expression: '30 2 * * *', timezone: 'Europe/Berlin' },
    });
    const json = await cli(at(['jobs', 'get', 'nightly', '--json']));
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual(await api('jobs/nightly'));
    const text = await cli(at(['jobs', 'get', 'nightly']), { env: {} });
    expect(text.stdout).toContain('schedule:      at 02:30 every day, Europe/Berlin');
    expect(text.stdout).toMatch(/next run:\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d\d:\d\d \(in 1h 30m\)/);
    expect(text.stdout).toMatch(/health:\s+pending: /);
    expect(text.stdout).toContain('args:          {"message":"hi"}');
  });

  it('exits 1 with the API code and message for an unknown job', async () => {
    const result = await cli(at(['jobs', 'get', 'nope']));
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^JOB_NOT_FOUND: .*"nope"/);
    const json = await cli(at(['jobs', 'get', 'nope', '--json']));
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stderr)).toMatchObject({ error: { code: 'JOB_NOT_FOUND' } });
  });
});

describe('tickwork jobs add', () => {
  it('creates cron, interval and date jobs from flags', async () => {
    const cron = await cli(at(['jobs', 'add', 'nightly', '--task', 'log', '--args', '{"message":"x"}', '--cron', '30 2 * * *', '--tz', 'Europe/Berlin']));
    expect(cron).toMatchObject({ code: 0, stdout: 'Created nightly: at 02:30 every day, Europe/Berlin; next run in 1h 30m.\n' });
    const every = await cli(at(['jobs', 'add', 'often', '--task', 'noop', '--every', '15m', '--name', 'Often', '--paused', '--json']));
    expect(JSON.parse(every.stdout)).toMatchObject({ id: 'often', name: 'Often', paused: true, trigger: { type: 'interval', seconds: 900 } });
    await cli(at(['jobs', 'add', 'once', '--task', 'noop', '--at', '2026-06-01T09:00:00Z']));
    expect(await server.scheduler.getJob('nightly')).toMatchObject({ task: 'log', args: { message: 'x' }, timezone: 'Europe/Berlin' });
    expect((await server.scheduler.getJob('once'))?.trigger).toMatchObject({ type: 'date', runAt: '2026-06-01T09:00:00.000Z' });
  });

  it('takes a whole POST /jobs body from --file, and --replace replaces', async () => {
    const body = { id: 'filed', task: 'noop', trigger: { type: 'interval', seconds: 30 }, maxInstances: 3, timeoutSeconds: 5 };
    const result = await cli(at(['jobs', 'add', '--file', 'job.json']), { input: { 'job.json': JSON.stringify(body) } });
    expect(result.code).toBe(0);
    expect(await server.scheduler.getJob('filed')).toMatchObject({ maxInstances: 3, timeoutSeconds: 5 });
    const again = await cli(at(['jobs', 'add', 'filed', '--task', 'noop', '--every', '45']));
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^CONFLICTING_ID: /);
    const replaced = await cli(at(['jobs', 'add', 'filed', '--task', 'noop', '--every', '45', '--replace']));
    expect(replaced.code).toBe(0);
    expect((await server.scheduler.getJob('filed'))?.trigger).toMatchObject({ seconds: 45 });
  });

  it('creates an array from --file in one batch request, a line per job, exit 1 when any was refused', async () => {
    const jobs = [
      { id: 'b1', task: 'noop', trigger: { type: 'interval', seconds: 30 } },
      { id: 'b2', task: 'noop', trigger: { type: 'interval', seconds: 30 }, name: 7 },
      { id: 'b1', task: 'noop', trigger: { type: 'interval', seconds: 60 } },
    ];
    const mixed = await cli(at(['jobs', 'add', '--file', 'jobs.json']), { input: { 'jobs.json': JSON.stringify(jobs) } });
    expect(mixed.code).toBe(1);
    expect(mixed.stdout).toBe('Created b1: every 30 seconds; next run in 30s.\nCreated 1 of 3 jobs.\n');
    expect(mixed.stderr).toMatch(/^Job 1: INVALID_ARGUMENT: .*\n {2}body\.jobs\.1\.name: .*\nJob 2: CONFLICTING_ID: .*"b1"/);
    const clean = await cli(at(['jobs', 'add', '--file', 'more.json', '--json']), { input: { 'more.json': JSON.stringify([{ ...jobs[0], id: 'b3' }]) } });
    expect(clean.code).toBe(0);
    expect(JSON.parse(clean.stdout)).toMatchObject({ created: 1, failed: 0, results: [{ index: 0, status: 201, job: { id: 'b3' } }] });
    expect((await server.scheduler.getJobs({ q: 'b' })).items.map((j) => j.id).sort()).toEqual(['b1', 'b3']);
    const empty = await cli(at(['jobs', 'add', '--file', 'none.json']), { input: { 'none.json': '[]' } });
    expect(empty.code).toBe(1);
    expect(empty.stderr).toMatch(/^INVALID_ARGUMENT: body\.jobs/);
  });

  it('shows the API refusal of a bad trigger with its code and field (exit 1)', async () => {
    const result = await cli(at(['jobs', 'add', 'bad', '--task', 'noop', '--cron', '61 * * * *']));
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^INVALID_TRIGGER: .*61/);
  });

  it('refuses a wrong command line without sending anything (exit 2)', async () => {
    const cases: [string[], RegExp][] = [
      [['jobs', 'add', 'x', '--every', '10'], /--task is required/],
      [['jobs', 'add', 'x', '--task', 'noop'], /exactly one of --cron, --every or --at/],
      [['jobs', 'add', 'x', '--task', 'noop', '--every', '10', '--cron', '* * * * *'], /exactly one of/],
      [['jobs', 'add', 'x', '--task', 'noop', '--every', 'soon'], /--every must be a positive duration .* got "soon"/],
      [['jobs', 'add', 'x', '--task', 'noop', '--every', '10', '--tz', 'UTC'], /--tz applies to --cron only/],
      [['jobs', 'add', 'x', '--task', 'noop', '--every', '10', '--args', '{nope'], /--args is not valid JSON/],
      [['jobs', 'add', 'x', '--file', 'job.json'], /--file holds the whole job/],
      [['jobs', 'add', '--file', 'missing.json'], /--file: cannot read missing.json/],
      [['jobs', 'add', 'x', '--task'], /--task/],
      [['jobs', 'add', 'x', '--frobnicate'], /Unknown option '--frobnicate'/],
    ];
    for (const [argv, message] of cases) {
      const result = await cli(at(argv));
      expect(result.code, argv.join(' ')).toBe(2);
      expect(result.stderr, argv.join(' ')).toMatch(message);
      expect(result.stderr).toContain('Usage: tickwork jobs add');
    }
    expect((await server.scheduler.getJobs()).items).toEqual([]);
  });
});

describe('tickwork jobs pause, resume, run, runs, rm', () => {
  it('pauses and resumes a job', async () => {
    await addNoop('alpha');
    const paused = await cli(at(['jobs', 'pause', 'alpha']));
    expect(paused).toMatchObject({ code: 0, stdout: 'Paused alpha.\n' });
    expect((await server.scheduler.getJob('alpha'))?.paused).toBe(true);
    const resumed = await cli(at(['jobs', 'resume', 'alpha', '--json']));
    expect(JSON.parse(resumed.stdout)).toMatchObject({ id: 'alpha', paused: false });
    expect((await server.scheduler.getJob('alpha'))?.paused).toBe(false);
  });

  it('runs a job now and lists its runs, newest first', async () => {
    await addNoop('alpha');
    const done = new Promise<void>((resolve) => server.scheduler.on('job_executed', () => resolve()));
    const run = await cli(at(['jobs', 'run', 'alpha']));
    expect(run).toMatchObject({ code: 0, stdout: 'Started a run of alpha; its outcome will be in: tickwork jobs runs alpha\n' });
    await done;
    const json = await cli(at(['jobs', 'runs', 'alpha', '--json']));
    expect(JSON.parse(json.stdout)).toEqual(await api('jobs/alpha/runs?limit=20'));
    expect(JSON.parse(json.stdout)).toMatchObject({ items: [{ jobId: 'alpha', outcome: 'succeeded', attempt: 1 }], nextCursor: null });
    const table = await cli(at(['jobs', 'runs', 'alpha']), { env: {} });
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^SCHEDULED\s+OUTCOME\s+BY\s+ATTEMPT\s+DURATION\s+LATE\s+ERROR$/);
    expect(lines[1]).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d\d:\d\d\s+succeeded\s+manual \(\S.*\)\s+1\s+/);
  });

  it('runs a job now with its own args and a note', async () => {
    const seen: unknown[] = [];
    server.scheduler.registerTask('echo', (ctx) => void seen.push(ctx.args));
    await server.scheduler.addJob({ id: 'echoed', task: 'echo', args: { n: 1 }, trigger: { type: 'interval', seconds: 3600 } });
    const done = new Promise<void>((resolve) => server.scheduler.on('job_executed', () => resolve()));
    const run = await cli(at(['jobs', 'run', 'echoed', '--args', '{"n":2}', '--note', 'from the CLI']));
    expect(run.code).toBe(0);
    await done;
    expect(seen).toEqual([{ n: 2 }]);
    expect((await server.scheduler.getRuns('echoed'))[0]).toMatchObject({ trigger: 'manual', note: 'from the CLI' });
    const bad = await cli(at(['jobs', 'run', 'echoed', '--args', '{n:2}']));
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/--args is not valid JSON/);
  });

  it('shows a failed run with its error code and message', async () => {
    await server.scheduler.addJob({ id: 'broken', task: 'fail', trigger: { type: 'interval', seconds: 60 } });
    const failed = new Promise<void>((resolve) => server.scheduler.on('job_error', () => resolve()));
    await cli(at(['jobs', 'run', 'broken']));
    await failed;
    const table = await cli(at(['jobs', 'runs', 'broken']));
    expect(table.stdout).toMatch(/failed\s+manual \(\S.*\)\s+1\s+.*E_TARGET: backup target unreachable/);
  });

  it('removes a job; removing it again is JOB_NOT_FOUND', async () => {
    await addNoop('alpha');
    expect(await cli(at(['jobs', 'rm', 'alpha']))).toMatchObject({ code: 0, stdout: 'Removed alpha.\n' });
    expect(await server.scheduler.getJob('alpha')).toBeUndefined();
    const again = await cli(at(['jobs', 'rm', 'alpha', '--json']));
    expect(again.code).toBe(1);
    expect(JSON.parse(again.stderr)).toMatchObject({ error: { code: 'JOB_NOT_FOUND' } });
    await addNoop('beta');
    expect(JSON.parse((await cli(at(['jobs', 'rm', 'beta', '--json']))).stdout)).toEqual({ id: 'beta', removed: true });
  });

  it('needs the job id (exit 2)', async () => {
    for (const command of ['get', 'rm', 'pause', 'resume', 'run', 'runs']) {
      const result = await cli(at(['jobs', command]));
      expect(result.code, command).toBe(2);
      expect(result.stderr, command).toContain('Missing argument.');
    }
  });
});

it('countdowns are relative to now', async () => {
  await addNoop('alpha', 3600);
  const later = await cli(at(['jobs', 'list']), { now: REFERENCE + 3600_000 - 5_300 });
  expect(later.stdout).toMatch(/alpha\s+every hour\s+in 5\.3s/);
  const past = await cli(at(['jobs', 'list']), { now: REFERENCE + 3600_000 + 125_000 });
  expect(past.stdout).toMatch(/alpha\s+every hour\s+2m 5s ago/);
});

describe('tickwork jobs backfill', () => {
  it('--dry-run lists the missed fires (time, recorded outcome, run id), then the backfill runs them under their original times', async () => {
    const start = server.clock.now();
    const iso = (seconds: number): string => new Date(start + seconds * 1000).toISOString();
    const ran: string[] = [];
    server.scheduler.registerTask('record', (ctx) => void ran.push(`${ctx.scheduledAt.toISOString()}#${ctx.attempt}`));
    await server.scheduler.addJob({ id: 'gappy', task: 'record', trigger: { type: 'interval', seconds: 10 }, misfireGraceTime: 1, coalesce: false });
    server.clock.stall(25_000); // the fires at 10 s and 20 s are due at once, past their grace: missed
    await server.clock.advance(0);
    const range = ['--from', iso(0), '--to', iso(25)];

    const dry = await cli(at(['jobs', 'backfill', 'gappy', ...range, '--dry-run']));
    expect(dry).toMatchObject({ code: 0, stderr: '' });
    const lines = dry.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('Would re-run 2 fires of gappy, oldest first (dry run: nothing started):');
    expect(lines[1]).toMatch(/^SCHEDULED\s+RECORDED\s+RUN ID$/);
    expect(lines[2]).toMatch(new RegExp(`^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d [+-]\\d\\d:\\d\\d\\s+missed\\s+gappy@${iso(10)}#2$`));
    expect(lines[3]).toMatch(new RegExp(`\\s+missed\\s+gappy@${iso(20)}#2$`));
    expect(lines.at(-1)).toBe('Run them: the same command without --dry-run; then tickwork jobs runs gappy');
    expect(ran).toEqual([]);
    const json = await cli(at(['jobs', 'backfill', 'gappy', ...range, '--only', 'missed,failed', '--dry-run', '--json']));
    expect(JSON.parse(json.stdout)).toMatchObject({
      jobId: 'gappy',
      dryRun: true,
      only: ['missed', 'failed'],
      fires: [{ scheduledAt: iso(10) }, { scheduledAt: iso(20) }],
    });

    const done = new Promise<void>((resolve) => {
      let n = 0;
      server.scheduler.on('job_executed', () => ++n === 2 && resolve());
    });
    const started = await cli(at(['jobs', 'backfill', 'gappy', ...range]));
    expect(started.code).toBe(0);
    expect(started.stdout.split('\n')[0]).toBe('Started 2 fires of gappy, oldest first:');
    await done;
    expect(ran).toEqual([`${iso(10)}#2`, `${iso(20)}#2`]);
    expect((await server.scheduler.getRuns('gappy', { limit: 10 })).filter((r) => r.trigger === 'backfill')).toHaveLength(2);

    const again = await cli(at(['jobs', 'backfill', 'gappy', ...range]));
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^Nothing to re-run of gappy from .* \(missed\)\.\nLeft alone: 2 succeeded\.\n$/);
  });

  it('refuses a wrong command line before sending (exit 2) and shows the API refusal with its code (exit 1)', async () => {
    await addNoop('alpha');
    const cases: [string[], RegExp][] = [
      [['jobs', 'backfill', 'alpha', '--to', '2026-01-01T00:00:00Z'], /--from and --to are required/],
      [
        ['jobs', 'backfill', 'alpha', '--from', '2026-01-01T00:00:00Z', '--to', '2026-01-01T01:00:00Z', '--only', 'missed,paused'],
        /--only must be one of missed, lost, failed, skipped, cancelled, got "paused"/,
      ],
      [['jobs', 'backfill', '--from', '2026-01-01T00:00:00Z', '--to', '2026-01-01T01:00:00Z'], /Missing argument/],
    ];
    for (const [argv, message] of cases) {
      const result = await cli(at(argv));
      expect(result.code, argv.join(' ')).toBe(2);
      expect(result.stderr, argv.join(' ')).toMatch(message);
      expect(result.stderr).toContain('Usage: tickwork jobs backfill');
    }
    const reversed = await cli(at(['jobs', 'backfill', 'alpha', '--from', '2026-01-01T01:00:00Z', '--to', '2026-01-01T00:00:00Z']));
    expect(reversed.code).toBe(1);
    expect(reversed.stderr).toMatch(/^INVALID_ARGUMENT: /);
    const missing = await cli(at(['jobs', 'backfill', 'nope', '--from', '2026-01-01T00:00:00Z', '--to', '2026-01-01T01:00:00Z']));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^JOB_NOT_FOUND: /);
  });
});
