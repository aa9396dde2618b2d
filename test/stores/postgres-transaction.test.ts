/**
 * The PostgreSQL store's transactions: BEGIN, the work, COMMIT; ROLLBACK when the work fails; the client
 * back to the pool, or destroyed when its state is unknown (a failed ROLLBACK, a connection error, a
 * failed COMMIT, which is thrown as it is). No database needed: the client is a stand-in.
 */
import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import { PgTransaction, withTransaction } from '../../src/stores/postgres/transaction.js';

interface FakeClient {
  statements: string[];
  released: (boolean | undefined)[];
  client: pg.PoolClient;
}

/** A client whose statements succeed except those named in `failing` (each with its error). */
function fakeClient(failing: Record<string, Error> = {}): FakeClient {
  const statements: string[] = [];
  const released: (boolean | undefined)[] = [];
  const client = {
    query: (text: string): Promise<{ rows: never[] }> => {
      statements.push(text);
      const error = failing[text];
      return error === undefined ? Promise.resolve({ rows: [] }) : Promise.reject(error);
    },
    release: (destroy?: boolean) => void released.push(destroy),
  } as unknown as pg.PoolClient;
  return { statements, released, client };
}

const pool = (fake: FakeClient): pg.Pool => ({ connect: () => Promise.resolve(fake.client) }) as unknown as pg.Pool;
const connectionLost = (): Error => Object.assign(new Error('Connection terminated unexpectedly'), { code: 'ECONNRESET' });

describe('withTransaction', () => {
  it('commits the work and gives the client back', async () => {
    const fake = fakeClient();
    await expect(
      withTransaction(pool(fake), async (client) => {
        await client.query('SELECT 1');
        return 'done';
      }),
    ).resolves.toBe('done');
    expect(fake.statements).toEqual(['BEGIN', 'SELECT 1', 'COMMIT']);
    expect(fake.released).toEqual([false]);
  });

  it('rolls back work that failed, throws its error, and gives a healthy client back', async () => {
    const fake = fakeClient();
    const refused = Object.assign(new Error('duplicate key'), { code: '23505' });
    await expect(withTransaction(pool(fake), () => Promise.reject(refused))).rejects.toBe(refused);
    expect(fake.statements).toEqual(['BEGIN', 'ROLLBACK']);
    expect(fake.released).toEqual([false]);
  });

  it('destroys the client when the connection is gone or the ROLLBACK fails', async () => {
    const lost = fakeClient({ ROLLBACK: connectionLost() });
    const error = connectionLost();
    await expect(withTransaction(pool(lost), () => Promise.reject(error))).rejects.toBe(error);
    expect(lost.released).toEqual([true]);

    const rolledBack = fakeClient(); // the ROLLBACK went through, but the error says the connection broke
    await expect(withTransaction(pool(rolledBack), () => Promise.reject(error))).rejects.toBe(error);
    expect(rolledBack.released).toEqual([true]);
  });

  it('throws a failed COMMIT as it is (it may have landed) and destroys the client, without a ROLLBACK', async () => {
    const commitFails = connectionLost();
    const fake = fakeClient({ COMMIT: commitFails });
    await expect(withTransaction(pool(fake), () => Promise.resolve(1))).rejects.toBe(commitFails);
    expect(fake.statements).toEqual(['BEGIN', 'COMMIT']);
    expect(fake.released).toEqual([true]);
  });

  it('a failed BEGIN is thrown, rolled back and its client destroyed', async () => {
    const error = connectionLost();
    const fake = fakeClient({ BEGIN: error, ROLLBACK: connectionLost() });
    await expect(withTransaction(pool(fake), () => Promise.resolve(1))).rejects.toBe(error);
    expect(fake.released).toEqual([true]);
  });
});

describe('PgTransaction', () => {
  it('on a client its caller keeps: nothing is released, whatever happens', async () => {
    const fake = fakeClient();
    await (await PgTransaction.begin(fake.client, true)).run(() => Promise.resolve());
    await expect((await PgTransaction.begin(fake.client, true)).run(() => Promise.reject(new Error('no')))).rejects.toThrow('no');
    expect(fake.statements).toEqual(['BEGIN', 'COMMIT', 'BEGIN', 'ROLLBACK']);
    expect(fake.released).toEqual([]);
  });

  it('ends once: a ROLLBACK after the end does nothing, a second COMMIT is refused', async () => {
    const fake = fakeClient();
    const tx = await PgTransaction.begin(fake.client);
    await tx.commit();
    await tx.rollback();
    await expect(tx.commit()).rejects.toThrow(/ended already/);
    expect(fake.statements).toEqual(['BEGIN', 'COMMIT']);
    expect(fake.released).toEqual([false]);
  });
});
