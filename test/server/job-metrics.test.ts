/**
 * Per-job metrics (metrics.jobLabels): none by default, the opted-in jobs' series after runs on the
 * manual clock, ids and globs, the cap on jobs with series (refused, warned once, counted), series of
 * removed jobs dropped at the next scrape, and the options checked.
 */
import { describe, expect, it } from 'vitest';
import { jobMatcher } from '../../src/core/job-patterns.js';
import { createMetrics, type MetricsOptions } from '../../src/server/metrics.js';
import { harness, REFERENCE, type Harness } from '../helpers.js';

/** The sample lines of `name` (exact metric name, any labels) in a scrape. */
function samples(text: string, name: string): string[] {
  return text.split('\n').filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `));
}

/** The jobs named in the `job` label of any per-job series. */
function jobsWithSeries(text: string): string[] {
  return [...new Set([...text.matchAll(/^tickwork_job_\w+\{job="([^"]+)"/gm)].map((m) => m[1] as string))].sort();
}

async function withJobs(
  options: MetricsOptions,
  ids: string[],
  h: Harness = harness({ fastPath: true }),
): Promise<{ h: Harness; scrape: () => Promise<string>; close: () => void }> {
  const { registry, close } = createMetrics(h.scheduler, options, h.logger);
  await h.scheduler.start();
  for (const id of ids) await h.scheduler.addIntervalJob(() => undefined, 1, id);
  return { h, scrape: () => registry.metrics(), close };
}

describe('per-job metrics', () => {
  it("'none' (the default): no job series, and the global series as before", async () => {
    const { h, scrape, close } = await withJobs({}, ['a', 'b']);
    await h.clock.advance(2000);
    const text = await scrape();
    expect(text).not.toMatch(/^tickwork_job_/m);
    expect(samples(text, 'tickwork_runs_total')).toEqual(['tickwork_runs_total{outcome="succeeded"} 4']);
    close();
    await h.scheduler.shutdown();
  });

  it('counts runs by outcome, durations, the last success and health for the opted-in jobs', async () => {
    const h = harness({ fastPath: true });
    const { scrape, close } = await withJobs({ jobLabels: ['ok-job', 'fail-*'] }, ['ok-job', 'other'], h);
    let calls = 0;
    await h.scheduler.addIntervalJob(
      () => {
        calls++;
        if (calls === 3) throw new Error('third call fails');
        h.clock.stall(250); // each run takes 250 ms of the manual clock
      },
      1,
      'fail-sometimes',
    );
    await h.scheduler.addIntervalJob(() => undefined, 1, 'paused-one');
    await h.clock.advance(3000);
    await h.scheduler.pauseJob('fail-sometimes');
    const text = await scrape();
    expect(jobsWithSeries(text)).toEqual(['fail-sometimes', 'ok-job']);
    expect(samples(text, 'tickwork_job_runs_total').sort()).toEqual([
      'tickwork_job_runs_total{job="fail-sometimes",outcome="failed"} 1',
      'tickwork_job_runs_total{job="fail-sometimes",outcome="succeeded"} 2',
      'tickwork_job_runs_total{job="ok-job",outcome="succeeded"} 3',
    ]);
    expect(samples(text, 'tickwork_job_run_duration_seconds_count').sort()).toEqual([
      'tickwork_job_run_duration_seconds_count{job="fail-sometimes"} 3',
      'tickwork_job_run_duration_seconds_count{job="ok-job"} 3',
    ]);
    expect(samples(text, 'tickwork_job_run_duration_seconds_sum')).toContain('tickwork_job_run_duration_seconds_sum{job="fail-sometimes"} 0.5');
    // ok-job last succeeded in the third second's pass, after fail-sometimes's last success (in the second).
    const last = samples(text, 'tickwork_job_last_success_timestamp_seconds').sort();
    expect(last).toHaveLength(2);
    expect(last[1]).toMatch(/^tickwork_job_last_success_timestamp_seconds\{job="ok-job"\} \d/);
    const okSeconds = Number(last[1]?.split(' ')[1]);
    const failSeconds = Number(last[0]?.split(' ')[1]);
    expect(okSeconds).toBeGreaterThan(failSeconds);
    expect(failSeconds).toBeGreaterThan(REFERENCE / 1000);
    expect(samples(text, 'tickwork_job_health').sort()).toEqual([
      'tickwork_job_health{job="fail-sometimes",state="failing"} 0',
      'tickwork_job_health{job="fail-sometimes",state="ok"} 0',
      'tickwork_job_health{job="fail-sometimes",state="overdue"} 0',
      'tickwork_job_health{job="fail-sometimes",state="paused"} 1',
      'tickwork_job_health{job="fail-sometimes",state="pending"} 0',
      'tickwork_job_health{job="ok-job",state="failing"} 0',
      'tickwork_job_health{job="ok-job",state="ok"} 1',
      'tickwork_job_health{job="ok-job",state="overdue"} 0',
      'tickwork_job_health{job="ok-job",state="paused"} 0',
      'tickwork_job_health{job="ok-job",state="pending"} 0',
    ]);
    expect(samples(text, 'tickwork_runs_total').sort()).toEqual(['tickwork_runs_total{outcome="failed"} 1', 'tickwork_runs_total{outcome="succeeded"} 11']);
    close();
    await h.scheduler.shutdown();
  });

  it('a job that never ran is pending; one whose last run failed is failing', async () => {
    const h = harness({ fastPath: true });
    const { scrape, close } = await withJobs({ jobLabels: 'all' }, [], h);
    await h.scheduler.addIntervalJob(() => undefined, 3600, 'later');
    await h.scheduler.addIntervalJob(
      () => {
        throw new Error('no');
      },
      1,
      'broken',
    );
    await h.clock.advance(1000);
    const text = await scrape();
    expect(
      samples(text, 'tickwork_job_health')
        .filter((line) => line.endsWith(' 1'))
        .sort(),
    ).toEqual(['tickwork_job_health{job="broken",state="failing"} 1', 'tickwork_job_health{job="later",state="pending"} 1']);
    close();
    await h.scheduler.shutdown();
  });

  it('caps the jobs with series: the next are refused, warned once and counted, until a job with series goes', async () => {
    const h = harness({ fastPath: true });
    const { scrape, close } = await withJobs({ jobLabels: 'all', maxJobSeries: 2 }, ['j1', 'j2', 'j3', 'j4'], h);
    await h.clock.advance(3000);
    let text = await scrape();
    expect(jobsWithSeries(text)).toEqual(['j1', 'j2']);
    expect(samples(text, 'tickwork_job_series_refused_total')).toEqual(['tickwork_job_series_refused_total 2']);
    expect(h.logger.lines.filter((line) => line.event === 'job_series_refused')).toHaveLength(1);
    await h.scheduler.removeJob('j1');
    await scrape(); // drops j1's series: its slot is free
    await h.scheduler.addIntervalJob(() => undefined, 1, 'j5');
    await h.clock.advance(1000);
    text = await scrape();
    expect(jobsWithSeries(text)).toEqual(['j2', 'j5']);
    expect(samples(text, 'tickwork_job_series_refused_total')).toEqual(['tickwork_job_series_refused_total 2']);
    close();
    await h.scheduler.shutdown();
  });

  it('refuses bad options with INVALID_ARGUMENT naming the field', () => {
    const h = harness();
    const bad: [unknown, RegExp][] = [
      [{ jobLabels: 'some' }, /metrics\.jobLabels: must be "none", "all" or an array/],
      [{ jobLabels: ['ok', 'has space'] }, /metrics\.jobLabels\[1\]: must be a job id or a glob/],
      [{ jobLabels: [7] }, /metrics\.jobLabels\[0\]/],
      [{ maxJobSeries: 0 }, /metrics\.maxJobSeries: must be an integer from 1 to 1000000, got 0/],
      [{ maxJobSeries: 1.5 }, /metrics\.maxJobSeries/],
      [{ jobLabel: 'all' }, /metrics\.jobLabel: is not a metrics option/],
    ];
    for (const [options, message] of bad) {
      expect(() => createMetrics(h.scheduler, options as MetricsOptions, h.logger), JSON.stringify(options)).toThrow(message);
    }
  });
});

describe('job id patterns', () => {
  it('match exact ids and globs, whole ids only; a dot is a dot', () => {
    const match = jobMatcher(['backup', 'report-*', 'node-?', 'a.b'], 'metrics.jobLabels');
    const ids = ['backup', 'backup-2', 'report-', 'report-daily', 'xreport-daily', 'node-1', 'node-12', 'a.b', 'axb'];
    expect(ids.filter(match)).toEqual(['backup', 'report-', 'report-daily', 'node-1', 'a.b']);
    expect(jobMatcher([], 'p')('anything')).toBe(false);
  });
});
