/**
 * `tickwork preview '<expression>' --tz <zone> -n <count>`: a cron expression's next fire times, computed
 * in this process by previewFires (what the server's POST /schedules/preview runs), so an operator can
 * check an expression before any server exists. The times print in the expression's zone.
 */
import { CronCompiler } from '../cron/compiler.js';
import { systemTimeZone } from '../cron/zone.js';
import type { CronTriggerSpec } from '../core/trigger.js';
import { createTrigger } from '../triggers/create.js';
import { MAX_PREVIEW_COUNT, previewFires } from '../triggers/preview.js';
import { EXIT, type ExitCode } from './exit-codes.js';
import { relative, table, timeIn } from './format.js';
import type { CliIo } from './io.js';
import { integerFlag, parseCommand } from './options.js';
import { printJson } from './output.js';
import { PREVIEW_USAGE } from './usage.js';

const OPTIONS = {
  tz: { type: 'string' },
  count: { type: 'string', short: 'n' },
  from: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

const DST_NOTE = { shifted: 'moved out of a spring-forward gap', repeated: 'the repeated hour of a fall-back' } as const;

export async function previewCommand(args: readonly string[], io: CliIo): Promise<ExitCode> {
  const { values, positionals } = parseCommand(args, OPTIONS, PREVIEW_USAGE, { min: 1, max: 1 });
  if (values.help === true) {
    io.stdout(`${PREVIEW_USAGE}\n`);
    return EXIT.OK;
  }
  const count = integerFlag(values.count, '-n', 1, MAX_PREVIEW_COUNT, PREVIEW_USAGE) ?? 10;
  const timezone = values.tz ?? systemTimeZone();
  const spec: CronTriggerSpec = { type: 'cron', expression: positionals[0] ?? '', timezone };
  const nowMs = io.now();
  // An invalid expression or zone throws InvalidTriggerError (code and message, as the API would answer).
  const fires = previewFires(spec, values.from === undefined ? { count } : { count, from: values.from }, nowMs);
  const items = fires.map((f) => (f.dst === undefined ? { at: f.at.toISOString() } : { at: f.at.toISOString(), dst: f.dst }));
  if (values.json === true) {
    printJson(io, { items });
    return EXIT.OK;
  }
  const trigger = createTrigger(spec, { nowMs, defaultTimezone: timezone, compiler: new CronCompiler() });
  io.stdout(`${trigger.describe()}\n\n`);
  trigger.dispose();
  const rows = items.map((item, i) => [
    String(i + 1),
    timeIn(item.at, timezone),
    relative(item.at, nowMs),
    item.dst === undefined ? '' : `DST: ${DST_NOTE[item.dst]}`,
  ]);
  io.stdout(items.length === 0 ? 'No further fire times.\n' : table(['#', `TIME (${timezone})`, 'FROM NOW', ''], rows));
  return EXIT.OK;
}
