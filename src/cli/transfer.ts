/**
 * `tickwork export` and `tickwork import`: job definitions as data, through GET /api/v1/export and POST
 * /api/v1/import. A server from before those routes answers 404 ROUTE_NOT_FOUND: said in words, exit code 1.
 */
import { writeFile } from 'node:fs/promises';
import { ApiError } from '../client/errors.js';
import type { ImportRequestJson } from '../client/wire.js';
import { EXIT, type ExitCode } from './exit-codes.js';
import type { CliIo } from './io.js';
import { CONNECTION_OPTIONS, clientFor, parseCommand } from './options.js';
import { printJson } from './output.js';
import { UsageError } from './usage-error.js';
import { EXPORT_USAGE, IMPORT_USAGE } from './usage.js';

/** A 404 ROUTE_NOT_FOUND from these routes means the server predates them. */
function noRoute(error: unknown, route: string): never {
  if (error instanceof ApiError && error.code === 'ROUTE_NOT_FOUND') {
    throw new ApiError(
      error.status,
      error.code,
      `This server has no export/import yet (${route} answered 404 ROUTE_NOT_FOUND): upgrade it to a Tickwork with job export and import.`,
    );
  }
  throw error;
}

export async function exportCommand(args: readonly string[], io: CliIo): Promise<ExitCode> {
  const options = { ...CONNECTION_OPTIONS, out: { type: 'string', short: 'o' } } as const;
  const { values } = parseCommand(args, options, EXPORT_USAGE, { min: 0, max: 0 });
  if (values.help === true) {
    io.stdout(`${EXPORT_USAGE}\n`);
    return EXIT.OK;
  }
  const exported = await clientFor(values, io, EXPORT_USAGE)
    .exportJobs()
    .catch((error: unknown) => noRoute(error, 'GET /api/v1/export'));
  const text = `${JSON.stringify(exported, null, 2)}\n`;
  if (values.out === undefined) {
    io.stdout(text);
  } else {
    await writeFile(values.out, text);
    // Only the file holds the data; say where it went (stderr keeps stdout clean for pipes).
    io.stderr(`Exported ${exported.jobs.length} jobs to ${values.out}.\n`);
  }
  return EXIT.OK;
}

export async function importCommand(args: readonly string[], io: CliIo): Promise<ExitCode> {
  const options = { ...CONNECTION_OPTIONS, prune: { type: 'boolean' }, 'dry-run': { type: 'boolean' } } as const;
  const { values, positionals } = parseCommand(args, options, IMPORT_USAGE, { min: 1, max: 1 });
  if (values.help === true) {
    io.stdout(`${IMPORT_USAGE}\n`);
    return EXIT.OK;
  }
  const path = positionals[0] ?? '-';
  let parsed: unknown;
  try {
    parsed = JSON.parse(await io.readInput(path)) as unknown;
  } catch (error) {
    throw new UsageError(`${path}: cannot read it as JSON: ${(error as Error).message}`, IMPORT_USAGE);
  }
  const jobs = (parsed as { jobs?: unknown } | null)?.jobs;
  if (!Array.isArray(jobs)) throw new UsageError(`${path} must hold { "jobs": [...] }, as tickwork export writes.`, IMPORT_USAGE);
  const request: ImportRequestJson = {
    jobs: jobs as unknown[],
    ...(values.prune === true ? { prune: true } : {}),
    ...(values['dry-run'] === true ? { dryRun: true } : {}),
  };
  const result = await clientFor(values, io, IMPORT_USAGE)
    .importJobs(request)
    .catch((error: unknown) => noRoute(error, 'POST /api/v1/import'));
  if (values.json === true) {
    printJson(io, result);
    return EXIT.OK;
  }
  const head = request.dryRun === true ? 'Dry run, nothing changed' : 'Imported';
  io.stdout(
    `${head}: ${result.created.length} created, ${result.updated.length} updated, ${result.unchanged.length} unchanged, ${result.removed.length} removed.\n`,
  );
  for (const group of ['created', 'updated', 'removed'] as const) {
    if (result[group].length > 0) io.stdout(`  ${group}: ${result[group].join(', ')}\n`);
  }
  return EXIT.OK;
}
