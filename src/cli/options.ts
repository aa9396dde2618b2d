/**
 * Command-line parsing on node:util's parseArgs, with the options every server command shares: where the
 * server is (`--url`, TICKWORK_URL), the key (`--key`, TICKWORK_KEY) and `--json`.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { TickworkClient } from '../client/client.js';
import type { CliIo } from './io.js';
import { UsageError } from './usage-error.js';

export const DEFAULT_URL = 'http://127.0.0.1:8080';

type OptionSpecs = NonNullable<ParseArgsConfig['options']>;

/** The options of every command that talks to a server. */
export const CONNECTION_OPTIONS = {
  url: { type: 'string' },
  key: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies OptionSpecs;

export interface Parsed<O extends OptionSpecs> {
  values: { [K in keyof O]?: O[K]['type'] extends 'boolean' ? boolean : string };
  positionals: string[];
}

/**
 * Parses `args` against `options`; an unknown flag, a flag without its value, or a positional count
 * outside `[min, max]` is a UsageError naming what was wrong, with `usage`.
 */
export function parseCommand<O extends OptionSpecs>(args: readonly string[], options: O, usage: string, positionals: { min: number; max: number }): Parsed<O> {
  let parsed: { values: Record<string, unknown>; positionals: string[] };
  try {
    parsed = parseArgs({ args: [...args], options, allowPositionals: true, strict: true });
  } catch (error) {
    // parseArgs's messages name the flag ("Unknown option '--x'", "Option '--url <value>' argument missing").
    throw new UsageError((error as Error).message.split('. To specify')[0] ?? 'Invalid arguments.', usage);
  }
  if (parsed.values.help !== true) {
    const count = parsed.positionals.length;
    if (count < positionals.min) throw new UsageError('Missing argument.', usage);
    if (count > positionals.max) throw new UsageError(`Unexpected argument "${String(parsed.positionals[positionals.max])}".`, usage);
  }
  return parsed as Parsed<O>;
}

/** The client for `--url`/TICKWORK_URL (default http://127.0.0.1:8080) and `--key`/TICKWORK_KEY. */
export function clientFor(values: { url?: string | undefined; key?: string | undefined }, io: CliIo, usage: string): TickworkClient {
  const url = values.url ?? nonEmpty(io.env.TICKWORK_URL) ?? DEFAULT_URL;
  const key = values.key ?? nonEmpty(io.env.TICKWORK_KEY);
  try {
    return new TickworkClient(key === undefined ? { url } : { url, key });
  } catch (error) {
    throw new UsageError(`--url (or TICKWORK_URL): ${(error as Error).message.replace(/^url: /, '')}`, usage);
  }
}

function nonEmpty(text: string | undefined): string | undefined {
  return text === undefined || text === '' ? undefined : text;
}

/** A whole number from `min` to `max` given to `flag`, or a UsageError naming the flag and the value. */
export function integerFlag(text: string | undefined, flag: string, min: number, max: number, usage: string): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!/^[0-9]+$/.test(text) || n < min || n > max) throw new UsageError(`${flag} must be a whole number from ${min} to ${max}, got "${text}".`, usage);
  return n;
}

/** One of `allowed` given to `flag`, or a UsageError listing them. */
export function choiceFlag<T extends string>(text: string | undefined, flag: string, allowed: readonly T[], usage: string): T | undefined {
  if (text === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(text)) throw new UsageError(`${flag} must be one of ${allowed.join(', ')}, got "${text}".`, usage);
  return text as T;
}
