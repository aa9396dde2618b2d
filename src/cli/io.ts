/**
 * What a command reads and writes, handed in so the commands run the same in the `tickwork` process and
 * in tests: the environment, output streams, input files and the wall clock (countdowns are relative to it).
 */
import { readFile } from 'node:fs/promises';

export interface CliIo {
  env: Readonly<Record<string, string | undefined>>;
  /** Writes text as it is (callers end their lines). */
  stdout(text: string): void;
  stderr(text: string): void;
  /** The contents of a file, or of standard input for `-`. */
  readInput(path: string): Promise<string>;
  /** Epoch ms: "now" for countdowns and ages. */
  now(): number;
}

/** The process's own environment, streams, files and clock. */
export function processIo(): CliIo {
  return {
    env: process.env,
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    readInput: async (path) => (path === '-' ? readStdin() : readFile(path, 'utf8')),
    now: () => Date.now(),
  };
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
