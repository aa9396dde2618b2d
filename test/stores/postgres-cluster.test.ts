/**
 * Several SchedulerService nodes in this process on one PostgreSQL schema: each fire starts once, one
 * node's skewed clock changes nothing, maxInstances holds across nodes, NOTIFY wakes a node at once, a
 * dead node's runs are recorded lost (and retried when the job says so), and a dropped connection is
 * survived. Real time with generous bounds: the database is real.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { SystemClock } from '../../src/core/clock.js';
import { SchedulerService } from '../../src/scheduler/service.js';
import { PostgresJobStore, type PostgresJobStoreOptions } from '../../src/stores/postgres/store.js';
import { captureLogger, type LogLine, sleep, until } from '../helpers.js';
import { PG_URL, dropSchema, pgAvailable, schemaName, sql } from './pg-helpers.js';

/** A node whose wall clock is `skewMs` off. */
class SkewedClock extends SystemClock {
  constructor(private readonly skewMs: number) {
    super();
  }

  override now(): number {
    return super.now() + this.skewMs;
  }
}

interface Fire {
  jobId: string;
  scheduledAt: number;
  node: number;
  realStart: number;
}

interface Node {
  scheduler: SchedulerService;
  store: PostgresJobStore;
  lines: LogLine[];
}

describe.skipIf(!pgAvailable)('PostgreSQL store: several nodes, one schedule', () => {
  let schema = '';
  const nodes: Node[] = [];

  function node(options: { skewMs?: number; store?: Partial<PostgresJobStoreOptions> } = {}): Node {
    const store = new PostgresJobStore({ connectionString: PG_URL, schema, ...options.store });
    const logger = captureLogger('info');
    const scheduler = new SchedulerService({ store, logger, clock: new SkewedClock(options.skewMs ?? 0), timezone: 'UTC' });
    const created = { scheduler, store, lines: logger.lines };
    nodes.push(created);
    return created;
  }

  afterEach(async () => {
    for (const { scheduler } of nodes.splice(0)) if (scheduler.isRunning) await scheduler.shutdown({ wait: false });
    if (schema !== '') await dropSchema(schema);
  });

  it('runs every fire once across three nodes, one of them with its clock 2 s ahead and one 2 s behind', async () => {
    schema = schemaName();
    const fires: Fire[] = [];
    const members = [node(), node({ skewMs: 2000 }), node({ skewMs: -2000 })];
    members.forEach(({ scheduler }, index) =>
      scheduler.registerTask('tick', (ctx) => {
        fires.push({ jobId: ctx.jobId, scheduledAt: ctx.scheduledAt.getTime(), node: index, realStart: Date.now() });
      }),
    );
    for (const { scheduler } of members) await scheduler.start();
    for (let i = 0; i < 30; i++) await (members[i % 3] as Node).scheduler.addIntervalJob('tick', 0.5, `job-${i}`);
    await sleep(4000);
    for (const { scheduler } of members) await scheduler.shutdown();
    const keys = fires.map((f) => `${f.jobId}@${f.scheduledAt}`);
    expect(new Set(keys).size).toBe(keys.length);
    // Every job fired about every 0.5 s: at least 6 of the ~8 fires in 4 s, whichever node it was.
    for (let i = 0; i < 30; i++) expect(fires.filter((f) => f.jobId === `job-${i}`).length).toBeGreaterThanOrEqual(6);
    // The node 2 s ahead did not fire early, the node 2 s behind not 2 s late: all decide on the database clock.
    for (const fire of fires) {
      expect(fire.realStart - fire.scheduledAt).toBeGreaterThan(-50);
      expect(fire.realStart - fire.scheduledAt).toBeLessThan(1000);
    }
    expect(new Set(fires.map((f) => f.node)).size).toBeGreaterThan(1);
    // The database holds one run row per fire, all settled.
    const rows = await sql<{ status: string; n: number }>(`SELECT status, count(*)::int AS n FROM "${schema}".runs GROUP BY status ORDER BY status`);
    expect(rows).toEqual([{ status: 'succeeded', n: fires.length }]);
  });

  it('holds maxInstances across nodes: a slow job never runs twice at once; extra fires are skipped, manual runs refused', async () => {
    schema = schemaName();
    const members = [node(), node()];
    let running = 0;
    let most = 0;
    let runs = 0;
    for (const { scheduler } of members) {
      scheduler.registerTask('slow', async () => {
        running++;
        runs++;
        most = Math.max(most, running);
        await sleep(1200);
        running--;
      });
      await scheduler.start();
    }
    await (members[0] as Node).scheduler.addIntervalJob('slow', 0.3, 'slow', { misfireGraceTime: null });
    await until(() => running === 1, 8000, 'the slow job to run');
    // Whichever node runs it, a manual run on either node finds the slot taken cluster-wide.
    for (const { scheduler } of members) await expect(scheduler.runJobNow('slow')).rejects.toMatchObject({ code: 'MAX_INSTANCES_REACHED' });
    await until(() => runs >= 2, 8000, 'two runs of the slow job');
    for (const { scheduler } of members) await scheduler.shutdown();
    expect(most).toBe(1);
    const skipped = await sql<{ n: number }>(`SELECT count(*)::int AS n FROM "${schema}".runs WHERE status = 'skipped'`);
    expect(skipped[0]?.n).toBeGreaterThan(0);
  });

  it('wakes a node through NOTIFY when another process adds a job, long before its next poll', async () => {
    schema = schemaName();
    const worker = node({ store: { pollSeconds: 60 } });
    const fired: number[] = [];
    worker.scheduler.registerTask('tick', () => void fired.push(Date.now()));
    await worker.scheduler.start();
    await sleep(300); // the worker has looked, found nothing, and sleeps for its poll (60 s)
    const admin = node();
    admin.scheduler.registerTask('tick', () => undefined);
    const added = Date.now();
    await admin.scheduler.addIntervalJob('tick', 0.5, 'from-elsewhere'); // admin is never started: it only writes
    await until(() => fired.length >= 2, 5000, 'the worker to fire the new job');
    expect((fired[0] as number) - added).toBeLessThan(1500);
  });

  /** Freezes a node as if its process were stopped: no heartbeat, no passes (its connections stay open). */
  async function freeze(member: Node): Promise<void> {
    await (member.store as unknown as { heartbeat: { stop(): Promise<void> } }).heartbeat.stop();
    (member.scheduler as unknown as { loop: { stop(): void } }).loop.stop();
  }

  /** Wakes a frozen node: its heartbeat and its loop go on. */
  async function thaw(member: Node): Promise<void> {
    await (member.store as unknown as { heartbeat: { start(): Promise<void> } }).heartbeat.start();
    (member.scheduler as unknown as { loop: { wakeSoon(): void } }).loop.wakeSoon();
  }

  /** A run starts on `doomed`, which freezes; the survivor records it lost. `manual`: a run of an hourly job started with runJobNow (the job stays). */
  async function lostRunSetup(
    retryLost: boolean,
    manual = false,
  ): Promise<{ doomed: Node; survivor: Node; attempts: { node: string; attempt: number }[]; lost: unknown[]; signals: AbortSignal[] }> {
    schema = schemaName();
    const fast = { heartbeatSeconds: 0.2, leaseSeconds: 1 };
    const doomed = node({ store: fast });
    const survivor = node({ store: fast });
    const attempts: { node: string; attempt: number }[] = [];
    const signals: AbortSignal[] = [];
    doomed.scheduler.registerTask('hang', (ctx) => {
      attempts.push({ node: 'doomed', attempt: ctx.attempt });
      signals.push(ctx.signal);
      return new Promise(() => undefined); // never settles: the node "dies" while running it
    });
    survivor.scheduler.registerTask('hang', (ctx) => void attempts.push({ node: 'survivor', attempt: ctx.attempt }));
    await doomed.scheduler.start();
    if (manual) {
      await doomed.scheduler.addIntervalJob('hang', 3600, 'once', { retries: { max: 1, backoffSeconds: 0.1 }, retryLost });
      await doomed.scheduler.runJobNow('once');
    } else {
      await doomed.scheduler.addDateJob('hang', new Date(Date.now() + 300), 'once', { retries: { max: 1, backoffSeconds: 0.1 }, retryLost });
    }
    await until(() => attempts.length === 1, 5000, 'the doomed node to start the run');
    await freeze(doomed);
    const lost: unknown[] = [];
    survivor.scheduler.on('job_lost', (event) => void lost.push(event));
    await survivor.scheduler.start();
    await until(() => lost.length === 1, 8000, 'the survivor to record the run lost');
    return { doomed, survivor, attempts, lost, signals };
  }

  it('records the runs of a node that stopped heartbeating as lost, and does not run them again by default (retries are for failures)', async () => {
    const { attempts } = await lostRunSetup(false);
    await sleep(1500);
    expect(attempts).toEqual([{ node: 'doomed', attempt: 1 }]);
    const rows = await sql<{ attempt: number; status: string; trigger: string }>(`SELECT attempt, status, trigger FROM "${schema}".runs ORDER BY attempt`);
    expect(rows.map((r) => [r.attempt, r.status, r.trigger])).toEqual([[1, 'lost', 'schedule']]);
  });

  it('a live node sees a job whose fire was lost with a dead node as overdue (health is read from the shared history)', async () => {
    const { survivor } = await lostRunSetup(false, true);
    // The lost run still says what started it and who (recorded with its claim).
    expect((await survivor.scheduler.getRuns('once')).map((r) => [r.outcome, r.trigger, r.actor])).toEqual([['lost', 'manual', { by: 'library' }]]);
    await survivor.scheduler.updateJob('once', { overdueAfterMissedFires: 1 });
    const job = await survivor.scheduler.getJob('once');
    expect(job?.health).toMatchObject({ state: 'overdue', reason: '1 fire in a row did not start (missed, skipped behind a running instance, or lost)' });
    expect((await survivor.scheduler.getJobs({ health: ['overdue'] })).items.map((j) => j.id)).toEqual(['once']);
  });

  it('retries a lost run elsewhere when the job opts in with retryLost', async () => {
    const { attempts, survivor } = await lostRunSetup(true);
    await until(() => attempts.length === 2, 20_000, 'the retry');
    expect(attempts).toEqual([
      { node: 'doomed', attempt: 1 },
      { node: 'survivor', attempt: 2 },
    ]);
    // The outcome is written by the history writer after the run: wait for it, not for the run.
    const statuses = async (): Promise<(string | number)[][]> =>
      (await sql<{ attempt: number; status: string }>(`SELECT attempt, status FROM "${schema}".runs ORDER BY attempt`)).map((r) => [r.attempt, r.status]);
    await until(
      async () =>
        JSON.stringify(await statuses()) ===
        JSON.stringify([
          [1, 'lost'],
          [2, 'succeeded'],
        ]),
      10_000,
      'the retry to be recorded succeeded',
    );
    expect(await statuses()).toEqual([
      [1, 'lost'],
      [2, 'succeeded'],
    ]);
    expect((await sql<{ trigger: string }>(`SELECT trigger FROM "${schema}".runs ORDER BY attempt`)).map((r) => r.trigger)).toEqual(['schedule', 'retry']);
    expect((await survivor.scheduler.getJob('once').catch(() => null))?.retryLost ?? true).toBe(true);
  }, 45_000);

  it('fences a node that wakes after being declared dead: its run is aborted, its late outcome never overwrites lost, it registers again and claims again', async () => {
    const { doomed, survivor, signals } = await lostRunSetup(false, true);
    expect(signals[0]?.aborted).toBe(false);
    await thaw(doomed);
    expect(doomed.lines.filter((line) => line.event === 'store_node_fenced')).toHaveLength(1);
    expect(doomed.lines.filter((line) => line.event === 'store_node_joined').map((line) => line.node)).toEqual([doomed.store.nodeId, doomed.store.nodeId]);
    expect(signals[0]?.aborted, 'the run of the old registration is aborted').toBe(true);
    await sleep(500);
    const rows = await sql<{ attempt: number; status: string }>(`SELECT attempt, status FROM "${schema}".runs ORDER BY attempt`);
    expect(
      rows.map((r) => [r.attempt, r.status]),
      'the late outcome (cancelled) is not written over lost',
    ).toEqual([[1, 'lost']]);
    const epochs = await sql<{ epoch: number }>(`SELECT epoch::int AS epoch FROM "${schema}".nodes WHERE id = $1`, [doomed.store.nodeId]);
    expect(epochs).toHaveLength(1);
    // A retry of the fenced attempt (had it failed on the woken node before it knew) is not scheduled.
    const [lostRow] = await sql<{ scheduled_at: number }>(`SELECT scheduled_at FROM "${schema}".runs WHERE job_id = 'once'`);
    const record = await doomed.store.get('once');
    if (record === undefined || lostRow === undefined) throw new Error('job or run missing');
    record.retry = { scheduledAt: lostRow.scheduled_at, attempt: 2, at: Date.now() + 60_000 };
    await doomed.store.update(record);
    expect((await sql<{ retry: unknown }>(`SELECT retry FROM "${schema}".jobs WHERE id = 'once'`))[0]?.retry).toBeNull();
    expect(doomed.lines.some((line) => line.event === 'store_retry_fenced')).toBe(true);
    // The survivor leaves; the woken node claims under its new registration.
    await survivor.scheduler.shutdown({ wait: false });
    const fired: string[] = [];
    doomed.scheduler.registerTask('tick', (ctx) => void fired.push(ctx.jobId));
    await doomed.scheduler.addIntervalJob('tick', 0.2, 'after-wake');
    await until(() => fired.length >= 2, 5000, 'fires on the woken node');
  });

  it('records lost a run whose settling write was lost (a database crash): the node repairs its own row, the slot is freed and the job fires again', async () => {
    schema = schemaName();
    const member = node({ store: { heartbeatSeconds: 0.2, leaseSeconds: 1 } });
    const fired: number[] = [];
    member.scheduler.registerTask('tick', () => void fired.push(Date.now()));
    await member.scheduler.start();
    await member.scheduler.addIntervalJob('tick', 0.3, 'steady');
    await until(() => fired.length >= 2, 5000, 'first fires');
    // Pretend the write that settled an old fire was lost: its row says running again, holding the only slot.
    await member.scheduler.pauseJob('steady');
    await sleep(300);
    const [row] = await sql<{ scheduled_at: number }>(`UPDATE "${schema}".runs SET status = 'running', recorded_at = recorded_at - 5000
      WHERE (job_id, scheduled_at, attempt) = (SELECT job_id, scheduled_at, attempt FROM "${schema}".runs WHERE job_id = 'steady' ORDER BY scheduled_at DESC LIMIT 1)
      RETURNING scheduled_at`);
    expect(row).toBeDefined();
    await member.scheduler.resumeJob('steady');
    await until(
      async () => (await sql(`SELECT 1 FROM "${schema}".runs WHERE job_id = 'steady' AND status = 'lost'`)).length === 1,
      5000,
      'the node to repair its row',
    );
    const before = fired.length;
    await until(() => fired.length >= before + 2, 5000, 'fires after the repair');
  });

  it('bounds how long a node stopped inside its claim transaction holds the rows: its session ends after half a lease and the job fires elsewhere', async () => {
    schema = schemaName();
    const holder = node({ store: { leaseSeconds: 2 } });
    const other = node({ store: { leaseSeconds: 2 } });
    const fired: number[] = [];
    holder.scheduler.registerTask('tick', () => undefined);
    other.scheduler.registerTask('tick', () => void fired.push(Date.now()));
    await holder.scheduler.start();
    // The holder stops passing but keeps heartbeating: it is alive, so no sweep frees anything.
    (holder.scheduler as unknown as { loop: { stop(): void } }).loop.stop();
    await holder.scheduler.addIntervalJob('tick', 0.2, 'held');
    await sleep(300);
    // A claim opened and never ended: the job row stays locked, as by a node stopped mid-claim.
    const taken = await holder.store.takeDue(Date.now() + 60_000, 100);
    expect(taken.map((job) => job.id)).toEqual(['held']);
    const openedAt = Date.now();
    await other.scheduler.start();
    await until(() => fired.length >= 2, 6000, 'the other node to fire the held job');
    expect((fired[0] as number) - openedAt).toBeLessThan(3000);
    const { rows } = await (holder.store as unknown as { pool: { query(text: string): Promise<{ rows: { setting: string }[] }> } }).pool.query(
      `SELECT current_setting('idle_in_transaction_session_timeout') AS setting`,
    );
    expect(rows[0]?.setting).toBe('1s');
  });

  it('after an outage of its own (a database restart) a node sweeps nobody until it has been healthy for a whole lease', async () => {
    schema = schemaName();
    const fast = { heartbeatSeconds: 0.2, leaseSeconds: 1 };
    const a = node({ store: fast });
    const b = node({ store: fast });
    await a.scheduler.start();
    (a.scheduler as unknown as { loop: { stop(): void } }).loop.stop(); // A only heartbeats (and sweeps)
    let started = false;
    b.scheduler.registerTask('hang', () => {
      started = true;
      return new Promise(() => undefined);
    });
    await b.scheduler.start();
    await b.scheduler.addDateJob('hang', new Date(Date.now() + 200), 'long-run');
    await until(() => started, 5000, 'B to start its run');
    const beat = (member: Node): { stop(): Promise<void>; start(): Promise<void> } =>
      (member.store as unknown as { heartbeat: { stop(): Promise<void>; start(): Promise<void> } }).heartbeat;
    // Neither reaches the database for 1.5 s (past the lease); A comes back first.
    await Promise.all([beat(a).stop(), beat(b).stop()]);
    await sleep(1500);
    await beat(a).start();
    await sleep(500);
    await beat(b).start();
    await sleep(1500);
    expect((await sql(`SELECT id FROM "${schema}".nodes ORDER BY id`)).map((r) => r.id)).toEqual([a.store.nodeId, b.store.nodeId].sort());
    expect(b.lines.filter((line) => line.event === 'store_node_fenced')).toEqual([]);
    expect(
      (await sql(`SELECT status FROM "${schema}".runs WHERE job_id = 'long-run'`)).map((r) => r.status),
      "B's run is not declared lost",
    ).toEqual(['running']);
  });

  it('survives its connections being cut: reconnects, LISTENs again and keeps firing', async () => {
    schema = schemaName();
    const member = node();
    const fired: string[] = [];
    member.scheduler.registerTask('tick', (ctx) => void fired.push(ctx.jobId));
    await member.scheduler.start();
    await member.scheduler.addIntervalJob('tick', 0.2, 'steady');
    await until(() => fired.length >= 2, 5000, 'first fires');
    await sql(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name LIKE $1`, [`tickwork ${member.store.nodeId}%`]);
    await until(() => member.lines.some((line) => line.event === 'store_listen_restored'), 8000, 'the LISTEN connection to come back');
    const before = fired.length;
    await until(() => fired.length >= before + 3, 8000, 'fires after the cut');
    // A job added by another process after the cut wakes it through the new LISTEN.
    const admin = node();
    admin.scheduler.registerTask('tick', () => undefined);
    await admin.scheduler.addIntervalJob('tick', 0.3, 'after-cut');
    await until(() => fired.includes('after-cut'), 5000, 'the job added after the cut');
    await member.scheduler.checkStore();
  });

  it('leaves the cluster at shutdown: its node row goes at once', async () => {
    schema = schemaName();
    const member = node();
    await member.scheduler.start();
    expect((await sql(`SELECT id FROM "${schema}".nodes`)).map((r) => r.id)).toEqual([member.store.nodeId]);
    await member.scheduler.shutdown();
    expect(await sql(`SELECT id FROM "${schema}".nodes`)).toEqual([]);
  });

  it('refuses a schema written by a newer Tickwork', async () => {
    schema = schemaName();
    const first = node();
    await first.scheduler.start();
    await first.scheduler.shutdown();
    await sql(`INSERT INTO "${schema}".schema_migrations (version) VALUES (999)`);
    const second = node();
    await expect(second.scheduler.start()).rejects.toMatchObject({
      code: 'STORE_UNAVAILABLE',
      message: expect.stringMatching(/version 999, newer than this Tickwork knows/),
    });
  });
});
