// @ts-check
/**
 * A config module for the standalone server: a task of its own and the jobs reconciled by id at every
 * start (created if missing, updated if changed here, else left alone).
 *
 *   npm run build && node dist/cli.js serve --config examples/standalone/tickwork.config.mjs
 *   open http://127.0.0.1:8080/
 */

/** @type {import('tickwork').TickworkConfig} */
export default {
  tasks: {
    cleanup: async (ctx) => {
      ctx.logger.info({ event: 'example_cleanup', olderThanDays: /** @type {{ days: number }} */ (ctx.args).days }, 'cleanup');
    },
  },
  jobs: [
    { id: 'cleanup', task: 'cleanup', args: { days: 30 }, trigger: { type: 'interval', seconds: 2 }, name: 'Remove old exports' },
    { id: 'morning-ping', task: 'log', args: { message: 'good morning' }, trigger: { type: 'cron', expression: '0 8 * * 1-5', timezone: 'Europe/Berlin' } },
  ],
  timezone: 'UTC',
  shutdownTimeoutSeconds: 30,
};
