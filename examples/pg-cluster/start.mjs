// @ts-check
/**
 * A two-node Tickwork cluster on one PostgreSQL schema, started from one script: two standalone servers
 * (`node dist/cli.js serve`; in your project `node node_modules/tickwork/dist/cli.js serve`) share the
 * schedule through the store; every fire runs on exactly one of them. Their JSON log lines are printed
 * with the node's name. SIGTERM or Ctrl-C stops both gracefully (running jobs finish), then exits 0.
 *
 *   npm run build && node examples/pg-cluster/start.mjs
 *   TICKWORK_EXAMPLE_PG   (postgres://postgres@127.0.0.1:5432/test)   the database
 *   TICKWORK_EXAMPLE_SCHEMA (tickwork_example_cluster)                 the schema the nodes share
 *   PORT_A, PORT_B        (8081, 8082; 0 picks free ports)
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const database = process.env.TICKWORK_EXAMPLE_PG ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = process.env.TICKWORK_EXAMPLE_SCHEMA ?? 'tickwork_example_cluster';
const cli = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const config = fileURLToPath(new URL('./node.config.mjs', import.meta.url));

/** @typedef {{ name: string, child: import('node:child_process').ChildProcess }} ClusterNode */

/**
 * Starts one node; resolves once it listens.
 * @param {string} name
 * @param {string} port
 * @returns {Promise<ClusterNode>}
 */
async function startNode(name, port) {
  const child = spawn(process.execPath, [cli, 'serve', '--port', port, '--config', config], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, TICKWORK_STORE: `${database}?schema=${schema}`, TICKWORK_EXAMPLE_NODE: name },
  });
  let buffered = '';
  let listening = /** @type {(value?: unknown) => void} */ (() => undefined);
  const listened = new Promise((resolve) => (listening = resolve));
  child.stdout?.on('data', (chunk) => {
    buffered += String(chunk);
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) {
      if (line.trim() === '') continue;
      const parsed = JSON.parse(line);
      console.log(JSON.stringify({ node: name, ...parsed }));
      if (parsed.event === 'server_listening') listening();
    }
  });
  const first = await Promise.race([listened.then(() => 'listening'), once(child, 'exit').then(() => 'exited')]);
  if (first === 'exited') throw new Error(`node ${name} exited before listening (code ${child.exitCode})`);
  return { name, child };
}

// The first node creates the schema and the job; the second joins once it exists.
const nodes = [await startNode('a', process.env.PORT_A ?? '8081')];
try {
  nodes.push(await startNode('b', process.env.PORT_B ?? '8082'));
} catch (error) {
  nodes[0]?.child.kill('SIGTERM');
  throw error;
}

let stopping = false;
/** @param {NodeJS.Signals} signal */
async function stop(signal) {
  stopping = true;
  const exited = (/** @type {ClusterNode} */ node) => node.child.exitCode !== null || node.child.signalCode !== null;
  const exits = nodes.map((node) => (exited(node) ? Promise.resolve([node.child.exitCode]) : once(node.child, 'exit')));
  for (const node of nodes) if (!exited(node)) node.child.kill(signal);
  const codes = (await Promise.all(exits)).map(([code]) => code);
  process.exit(codes.every((code) => code === 0) ? 0 : 1);
}
for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM'])) process.once(signal, () => void stop(signal));
// A node that dies on its own takes the example down.
for (const node of nodes) {
  node.child.once('exit', (code) => {
    if (stopping) return;
    console.error(`node ${node.name} exited (code ${code}); stopping the other`);
    void stop('SIGTERM');
  });
}
