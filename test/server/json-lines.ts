/**
 * Server processes in tests: collecting a child's stdout as parsed JSON log lines (the server logs one JSON
 * object per line), and starting `tickwork serve` until it listens.
 */
import { spawn, type ChildProcess } from 'node:child_process';

export function collectJsonLines(child: ChildProcess): Record<string, unknown>[] {
  const lines: Record<string, unknown>[] = [];
  let buffered = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const parts = buffered.split('\n');
    buffered = parts.pop() ?? '';
    for (const part of parts) if (part.trim() !== '') lines.push(JSON.parse(part) as Record<string, unknown>);
  });
  return lines;
}

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  lines: Record<string, unknown>[];
}

/** Starts `tickwork serve` on a free port with extra arguments and environment; resolves once it listens. */
export async function startServerProcess(children: ChildProcess[], args: string[], env: Record<string, string>): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['dist/cli.js', 'serve', '--port', '0', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
  });
  children.push(child);
  const lines = collectJsonLines(child);
  // Generous: a node of the fault suite once took more than 15 s to listen while a native build ran beside it.
  const deadline = Date.now() + 40_000;
  for (;;) {
    const listening = lines.find((l) => l.event === 'server_listening');
    if (listening !== undefined) return { child, url: String(listening.url), lines };
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`server did not start: ${lines.map((l) => JSON.stringify(l)).join('\n')}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
