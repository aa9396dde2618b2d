/** How results leave the CLI: the API's JSON for scripts, or text for people. */
import type { CliIo } from './io.js';

/** JSON as the API sent it (parsed and printed again, indented), one document per command. */
export function printJson(io: CliIo, value: unknown): void {
  io.stdout(`${JSON.stringify(value, null, 2)}\n`);
}
