/**
 * `tickwork/nestjs` (the built package, imported by name) in a process where no `@nestjs/*` package can be
 * resolved, as in a project without Nest: the import succeeds, the decorators work, and only using the
 * module (forRoot) fails, with INVALID_ARGUMENT saying what to install.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const script = `
const report = {};
try { await import('@nestjs/core'); report.nestHidden = false; } catch { report.nestHidden = true; }
const nestjs = await import('tickwork/nestjs');
report.exports = Object.keys(nestjs).sort();
class Jobs { tick() {} }
nestjs.Interval(1000)(Jobs.prototype, 'tick', Object.getOwnPropertyDescriptor(Jobs.prototype, 'tick'));
report.schedule = Jobs.prototype.tick[nestjs.SCHEDULE_METADATA];
try { nestjs.TickworkModule.forRoot(); report.forRoot = 'no error'; } catch (error) { report.forRoot = { code: error.code, message: error.message }; }
console.log(JSON.stringify(report));
`;

describe('tickwork/nestjs without Nest installed', () => {
  it('imports, decorates, and refuses forRoot naming the packages to install', () => {
    const output = execFileSync(process.execPath, ['--import', './test/nestjs/fixtures/hide-nest.mjs', '--input-type=module', '-e', script], {
      encoding: 'utf8',
    });
    const report = JSON.parse(output.trim().split('\n').pop() ?? '{}') as Record<string, unknown>;
    expect(report.nestHidden).toBe(true);
    expect(report.exports).toEqual(['Cron', 'Interval', 'SCHEDULE_METADATA', 'SchedulerService', 'TICKWORK_MODULE_OPTIONS', 'TickworkModule', 'Timeout']);
    expect(report.schedule).toEqual({ kind: 'interval', ms: 1000 });
    expect(report.forRoot).toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/npm install @nestjs\/core @nestjs\/common/) });
  });
});
