/** Start-up errors speak the operator's language: the flag or variable and the value given; a store failure says the server exits. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';

const cwd = mkdtempSync(join(tmpdir(), 'tickwork-config-'));

describe('start-up messages', () => {
  it('--port 99999 names the flag and its value; PORT=abc names the variable and its value', async () => {
    await expect(loadConfig({}, ['--port', '99999'], cwd)).rejects.toThrow('--port: must be an integer from 0 to 65535, got "99999".');
    await expect(loadConfig({}, ['--port=-1'], cwd)).rejects.toThrow('--port: must be an integer from 0 to 65535, got "-1".');
    await expect(loadConfig({ PORT: 'abc' }, [], cwd)).rejects.toThrow('PORT: must be an integer from 0 to 65535, got "abc".');
    await expect(loadConfig({ PORT: '' }, [], cwd)).rejects.toThrow('PORT: must be an integer from 0 to 65535, got "".');
    expect((await loadConfig({ PORT: '9000' }, ['--port', '9001'], cwd)).port).toBe(9001);
  });

  it('an unreachable PostgreSQL at start-up says the server exits, not that it retries (real process)', () => {
    // The built CLI, as lifespan.test.ts runs it (npm test builds first).
    const cli = join(import.meta.dirname, '../../dist/cli.js');
    const result = spawnSync(process.execPath, [cli, 'serve', '--port', '0'], {
      cwd,
      env: { PATH: process.env.PATH ?? '', TICKWORK_STORE: 'postgres://127.0.0.1:1/none' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.status).toBe(1);
    const failure = result.stderr.split('\n').find((line) => line.includes('startup_failed')) ?? '';
    expect(JSON.parse(failure)).toMatchObject({ code: 'STORE_UNAVAILABLE', msg: expect.stringContaining('The server did not start and exits with code 1') });
    expect(failure).not.toContain('retrying');
  });
});
