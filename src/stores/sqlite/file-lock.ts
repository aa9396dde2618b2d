/**
 * One process per SQLite file: the store takes the file's lock in EXCLUSIVE locking mode before anything
 * else reads it, and keeps it until it closes (or the process dies: the OS releases it). `<file>.owner`
 * names the holder, for the message a refused process shows, and for nothing else.
 */
import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type Database from 'better-sqlite3';
import { StoreLockedError } from '../../core/errors.js';

/** What the owner file says: who holds the lock, as far as anyone can tell. */
interface OwnerInfo {
  pid: number;
  hostname: string;
  since: string;
}

function ownerPath(path: string): string {
  return `${path}.owner`;
}

/**
 * Takes the file's lock for the life of the connection. EXCLUSIVE locking mode is set before the first
 * read of the file (a connection that has read it in NORMAL mode would have opened the WAL's shared memory
 * and would take the lock only at its first write), then an empty write transaction takes the EXCLUSIVE
 * lock, which that mode never gives back. A lock held elsewhere answers SQLITE_BUSY after the busy
 * timeout: STORE_LOCKED, naming the holder.
 */
export function lockFile(db: Database.Database, path: string): void {
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    db.pragma('journal_mode = WAL');
    db.exec('BEGIN EXCLUSIVE; COMMIT');
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('SQLITE_BUSY')) throw lockedError(path, error);
    throw error;
  }
}

function lockedError(path: string, cause: unknown): StoreLockedError {
  let holder = 'another process (no Tickwork owner file names one: a tool such as the sqlite3 shell may have it open)';
  try {
    const owner = JSON.parse(readFileSync(ownerPath(path), 'utf8')) as Partial<OwnerInfo>;
    if (typeof owner.pid === 'number') {
      holder =
        owner.pid === process.pid && owner.hostname === hostname()
          ? `another store in this process (process ${owner.pid}); close it first`
          : `process ${owner.pid} on host ${String(owner.hostname)} since ${String(owner.since)}, according to ${ownerPath(path)}`;
    }
  } catch {
    // No owner file, or not one of ours.
  }
  return new StoreLockedError(
    path,
    `SQLite store: ${path} is locked by ${holder}. Tickwork runs one process per database file: stop the other one, or give this one its own file (TICKWORK_STORE=sqlite:<another path>).`,
    cause,
  );
}

/**
 * Names this process as the holder, for a refused process's message only (never for a decision).
 * Answers the owner file written, or null when it could not be (the lock holds all the same).
 */
export function writeOwnerFile(path: string): string | null {
  const owner: OwnerInfo = { pid: process.pid, hostname: hostname(), since: new Date().toISOString() };
  try {
    writeFileSync(ownerPath(path), `${JSON.stringify(owner)}\n`);
    return ownerPath(path);
  } catch {
    // A read-only directory: the message will just not name us.
    return null;
  }
}

/** Removes the owner file if it still names this process. */
export function removeOwnerFile(file: string): void {
  try {
    const owner = JSON.parse(readFileSync(file, 'utf8')) as Partial<OwnerInfo>;
    if (owner.pid === process.pid) unlinkSync(file);
  } catch {
    // Gone already, or rewritten by the next holder.
  }
}
