#!/usr/bin/env node
/**
 * The `tickwork` command (the package's bin; `npm start` runs `tickwork serve`). `serve` (also the
 * default) runs the server, see cli/serve.ts; every other command talks to a running server, see
 * cli/main.ts. The exit code of those is documented in the README (CLI).
 */
import { processIo } from './cli/io.js';
import { isServe, runCli } from './cli/main.js';
import { serveCommand } from './cli/serve.js';

const argv = process.argv.slice(2);
if (isServe(argv)) {
  serveCommand(argv.slice(1));
} else {
  runCli(argv, processIo()).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      // A bug, not an answer of the server: show the stack.
      console.error(error);
      process.exitCode = 1;
    },
  );
}
