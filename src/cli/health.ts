/**
 * `tickwork health`: is the server ready (GET /ready), and which jobs are failing or overdue (GET
 * /jobs?health=failing,overdue), with why. Exit code 4 when either says something is wrong, so a cron
 * job or a monitor can run it as a check.
 */
import { EXIT, type ExitCode } from './exit-codes.js';
import { relative, table } from './format.js';
import type { CliIo } from './io.js';
import { healthText } from './job-view.js';
import { CONNECTION_OPTIONS, clientFor, parseCommand } from './options.js';
import { printJson } from './output.js';
import { HEALTH_USAGE } from './usage.js';

export async function healthCommand(args: readonly string[], io: CliIo): Promise<ExitCode> {
  const { values } = parseCommand(args, CONNECTION_OPTIONS, HEALTH_USAGE, { min: 0, max: 0 });
  if (values.help === true) {
    io.stdout(`${HEALTH_USAGE}\n`);
    return EXIT.OK;
  }
  const client = clientFor(values, io, HEALTH_USAGE);
  const ready = await client.ready();
  const jobs = await client.listAllJobs({ health: ['failing', 'overdue'], sort: 'id' });
  const healthy = ready.status === 200 && jobs.items.length === 0;
  if (values.json === true) {
    printJson(io, { ready: ready.body, jobs });
    return healthy ? EXIT.OK : EXIT.UNHEALTHY;
  }
  const r = ready.body;
  const why = r.error === undefined ? '' : `: ${r.error}`;
  io.stdout(`${client.baseUrl}: ${r.status} (scheduler ${r.scheduler}, store ${r.store})${why}\n`);
  const count = (state: string): number => jobs.items.filter((job) => job.health.state === state).length;
  if (jobs.items.length === 0) {
    io.stdout('No failing or overdue jobs.\n');
  } else {
    io.stdout(`${count('failing')} failing, ${count('overdue')} overdue:\n\n`);
    const now = io.now();
    const rows = jobs.items.map((job) => [job.id, healthText(job), job.health.since === null ? '-' : relative(job.health.since, now), job.health.reason]);
    io.stdout(table(['ID', 'HEALTH', 'SINCE', 'REASON'], rows));
  }
  return healthy ? EXIT.OK : EXIT.UNHEALTHY;
}
