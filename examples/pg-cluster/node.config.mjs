// @ts-check
/**
 * The config module of each node of examples/pg-cluster/start.mjs: one job every second, run by whichever
 * node claims the fire (each fire runs on exactly one node), logging that node's name.
 */

/** @type {import('tickwork').TickworkConfig} */
export default {
  tasks: {
    whereami: (ctx) => {
      ctx.logger.info({ event: 'example_fire', node: process.env.TICKWORK_EXAMPLE_NODE, scheduledAt: ctx.scheduledAt.toISOString() }, 'fired');
    },
  },
  jobs: [{ id: 'whereami', task: 'whereami', trigger: { type: 'interval', seconds: 1 } }],
};
