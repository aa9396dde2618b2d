/** getJobs: one list API, every matching job or a page at a time, with the same filters and orders. */
import { describe, expect, it } from 'vitest';
import type { JobList } from '../../src/scheduler/service.js';
import { harness } from '../helpers.js';

async function fiveJobs(): Promise<ReturnType<typeof harness>> {
  const h = harness();
  for (const [id, seconds] of [
    ['e', 10],
    ['d', 20],
    ['c', 30],
    ['b', 40],
    ['a', 50],
  ] as const) {
    await h.scheduler.addIntervalJob(() => undefined, seconds, id, id === 'c' ? { paused: true } : undefined);
  }
  return h;
}

describe('getJobs', () => {
  it('returns every matching job without a limit, by next run time (paused last), and no cursor', async () => {
    const h = await fiveJobs();
    const all = await h.scheduler.getJobs();
    expect(all.items.map((j) => j.id)).toEqual(['e', 'd', 'b', 'a', 'c']);
    expect(all.nextCursor).toBeNull();
    expect((await h.scheduler.getJobs({ sort: 'id', state: 'active' })).items.map((j) => j.id)).toEqual(['a', 'b', 'd', 'e']);
  });

  it('pages with a limit and a cursor, in either sort; a cursor without a limit gives the rest', async () => {
    const h = await fiveJobs();
    for (const sort of ['id', 'nextRunTime'] as const) {
      const every = (await h.scheduler.getJobs({ sort })).items.map((j) => j.id);
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: JobList = await h.scheduler.getJobs(cursor === null ? { sort, limit: 2 } : { sort, limit: 2, cursor });
        expect(page.items.length).toBeLessThanOrEqual(2);
        seen.push(...page.items.map((j) => j.id));
        cursor = page.nextCursor;
      } while (cursor !== null);
      expect(seen).toEqual(every);
      const first = await h.scheduler.getJobs({ sort, limit: 2 });
      const rest = await h.scheduler.getJobs({ sort, cursor: first.nextCursor ?? '' });
      expect([...first.items, ...rest.items].map((j) => j.id)).toEqual(every);
      expect(rest.nextCursor).toBeNull();
    }
  });

  it('refuses a bad query, naming the field', async () => {
    const h = await fiveJobs();
    await expect(h.scheduler.getJobs({ limit: 0 })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: 'query.limit: must be an integer from 1 to 1000, got 0.',
    });
    await expect(h.scheduler.getJobs({ sort: 'name' as never })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringMatching(/^query\.sort: must be one of id, nextRunTime, lastRun/),
    });
    await expect(h.scheduler.getJobs({ state: 'done' as never })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringMatching(/^query\.state:/),
    });
    await expect(h.scheduler.getJobs({ q: 5 as never })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: 'query.q: must be a string, got number.' });
  });
});
