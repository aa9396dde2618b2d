// Config module for the nodes of bench/pg/cluster.mjs: a `bench` task that reports each fire over UDP
// (job id, scheduled time, real start, node) and then works 20 ms, like a small real handler.
import { createSocket } from 'node:dgram';

const socket = createSocket('udp4');
const port = Number(process.env.BENCH_REPORT_PORT);
const node = process.env.BENCH_NODE ?? '?';

export default {
  tasks: {
    bench: async (ctx) => {
      socket.send(`${ctx.jobId}|${ctx.scheduledAt.getTime()}|${Date.now()}|${node}`, port, '127.0.0.1');
      await new Promise((resolve) => setTimeout(resolve, 20));
    },
  },
};
