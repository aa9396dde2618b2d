/**
 * Job id patterns: a list of exact ids and globs (`*` any run of characters, `?` one character) that
 * selects jobs, as an operator writes it in the config (`metrics.jobLabels`). Job ids cannot hold `*` or
 * `?` (JOB_ID_PATTERN), so an entry without them is an exact id and one with them is a glob, never both.
 */
import { InvalidArgumentError } from './errors.js';
import { describeType } from './format.js';

/** What an entry may hold: the characters of a job id, plus the two wildcards. */
const ENTRY = /^[A-Za-z0-9._:*?-]{1,200}$/;

/** Whether a job id matches the list; checked once when made. */
export type JobMatcher = (jobId: string) => boolean;

/**
 * A matcher for `entries`, each checked (`path` names the list in errors: `metrics.jobLabels`). Exact ids
 * are looked up in a Set; the globs are joined into one anchored regular expression.
 */
export function jobMatcher(entries: unknown, path: string): JobMatcher {
  if (!Array.isArray(entries)) throw InvalidArgumentError.field(path, `must be an array of job ids or glob patterns, got ${describeType(entries)}.`);
  const exact = new Set<string>();
  const globs: string[] = [];
  entries.forEach((entry: unknown, i) => {
    if (typeof entry !== 'string' || !ENTRY.test(entry)) {
      throw InvalidArgumentError.field(
        `${path}[${i}]`,
        `must be a job id or a glob of one (letters, digits, . _ : - and the wildcards * and ?, 1 to 200 characters), got ${describeType(entry)}.`,
      );
    }
    if (entry.includes('*') || entry.includes('?')) globs.push(globSource(entry));
    else exact.add(entry);
  });
  if (globs.length === 0) return (jobId) => exact.has(jobId);
  const glob = new RegExp(`^(?:${globs.join('|')})$`);
  return (jobId) => exact.has(jobId) || glob.test(jobId);
}

/** A glob as a regular expression's source: `.` is the only id character special there. */
function globSource(glob: string): string {
  return glob.replaceAll('.', '\\.').replaceAll('*', '.*').replaceAll('?', '.');
}
