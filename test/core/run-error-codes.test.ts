/**
 * The run error codes are one table (RUN_ERROR_CODES): exported by the package, the codes the error
 * classes write are in it, and the README's table of run error codes lists exactly its codes.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { JobCancelledError, JobReplacedError, JobTimeoutError, TaskNotRegisteredError } from '../../src/core/errors.js';
import { RUN_ERROR_CODES } from '../../src/core/run-errors.js';
import * as tickwork from '../../src/index.js';

describe('RUN_ERROR_CODES', () => {
  it('is exported by the package', () => {
    expect(tickwork.RUN_ERROR_CODES).toBe(RUN_ERROR_CODES);
  });

  it('holds the codes the scheduler records for timeouts, cancellations, replaced runs and missing tasks', () => {
    for (const error of [new JobTimeoutError('j', 1), new JobCancelledError('j', 'shutdown'), new JobReplacedError('j', 0), new TaskNotRegisteredError('t')]) {
      expect(Object.keys(RUN_ERROR_CODES)).toContain(error.code);
    }
  });

  it('is the README table of run error codes, once', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const sections = readme.split('**Run error codes.**');
    expect(sections).toHaveLength(2);
    const table = (sections[1] ?? '').split('\n\n')[1] ?? '';
    const codes = [...table.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((m) => m[1]);
    expect(codes).toEqual(Object.keys(RUN_ERROR_CODES));
  });
});
