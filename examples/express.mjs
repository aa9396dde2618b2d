// @ts-check
/**
 * Tickwork in an Express 5 app, in two lines: attachScheduler ties the scheduler to the server's life (it
 * starts when listening; SIGTERM or Ctrl-C closes the server, running jobs finish, exit 0), and
 * tickworkRouter mounts the HTTP API and the dashboard at /scheduler (mount it before express.json()).
 *
 *   npm run build && node examples/express.mjs      (PORT, default 3000; TICKWORK_ADMIN_KEY, else loopback only)
 *   open http://127.0.0.1:3000/scheduler/
 */
import express from 'express';
import { SchedulerService } from 'tickwork';
import { attachScheduler, tickworkRouter } from 'tickwork/node';

const scheduler = new SchedulerService();
scheduler.registerTask('report', async (ctx) => {
  ctx.logger.info({ event: 'example_report' }, 'report');
});
await scheduler.addJob({ id: 'report', task: 'report', trigger: { type: 'interval', seconds: 1 } });

const app = express();
const adminKey = process.env.TICKWORK_ADMIN_KEY;
app.use('/scheduler', tickworkRouter({ scheduler, adminKeys: adminKey === undefined ? [] : [adminKey] }));
app.use(express.json());
app.get('/', (_req, res) => {
  res.json({ dashboard: '/scheduler/', api: '/scheduler/api/v1/jobs' });
});

const server = app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : address;
  console.log(JSON.stringify({ event: 'example_listening', url: `http://127.0.0.1:${port}` }));
});
attachScheduler(server, scheduler, { handleSignals: true });
