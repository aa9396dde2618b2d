/**
 * Transactions of the PostgreSQL store, written once: BEGIN, the work, COMMIT, and ROLLBACK when the work
 * fails. At the end the client goes back to the pool, or is destroyed when its state is unknown: a
 * ROLLBACK that failed, a connection error, a COMMIT that failed. A failed COMMIT is thrown as it is: it
 * is ambiguous (the commit may have landed), and the caller decides what that means (a claim's fires do
 * not start).
 */
import type pg from 'pg';
import { isUnavailable } from './connection.js';

export class PgTransaction {
  private open = true;

  private constructor(
    readonly client: pg.PoolClient,
    /** Gives the client back (destroyed when `broken`); nothing for a client its caller keeps. */
    private readonly finish: (broken: boolean) => void,
  ) {}

  /**
   * BEGIN on `client`. The transaction releases the client when it ends, unless `keepClient` (a caller
   * holding a session-level lock on it runs several transactions and releases it itself).
   */
  static async begin(client: pg.PoolClient, keepClient = false): Promise<PgTransaction> {
    const tx = new PgTransaction(client, keepClient ? () => undefined : (broken) => client.release(broken));
    try {
      await client.query('BEGIN');
    } catch (error) {
      await tx.rollback(error);
      throw error;
    }
    return tx;
  }

  /** COMMIT, then the client goes back; a failure destroys the client and is thrown as it is (ambiguous). */
  async commit(): Promise<void> {
    this.close();
    try {
      await this.client.query('COMMIT');
    } catch (error) {
      this.finish(true);
      throw error;
    }
    this.finish(false);
  }

  /**
   * ROLLBACK (nothing once the transaction has ended); never throws. The client is destroyed when the
   * ROLLBACK fails or `cause`, the error that ends the transaction, says the connection is gone.
   */
  async rollback(cause?: unknown): Promise<void> {
    if (!this.open) return;
    this.open = false;
    let rolledBack = true;
    try {
      await this.client.query('ROLLBACK');
    } catch {
      rolledBack = false;
    }
    this.finish(!rolledBack || (cause !== undefined && isUnavailable(cause)));
  }

  /** `fn` in this transaction: COMMIT after it, ROLLBACK when it fails; its error (or COMMIT's) is thrown. */
  async run<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    let result: T;
    try {
      result = await fn(this.client);
    } catch (error) {
      await this.rollback(error);
      throw error;
    }
    await this.commit();
    return result;
  }

  private close(): void {
    if (!this.open) throw new Error('PostgreSQL store: the transaction has ended already.');
    this.open = false;
  }
}

/** `fn` in a transaction on a client of its own from `pool` (see PgTransaction): BEGIN, COMMIT or ROLLBACK, release. */
export async function withTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const tx = await PgTransaction.begin(await pool.connect());
  return tx.run(fn);
}
