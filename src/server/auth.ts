/**
 * API keys with two roles: `admin` (everything) and `monitor` (read-only), sent as
 * `Authorization: Bearer <key>` and compared in constant time. Failed attempts are rate-limited per
 * client address. With no keys configured, only loopback clients with a loopback Host header and no proxy
 * headers are served (a browser page on another origin, or a local reverse proxy, cannot reach the API).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { HttpError } from '../scheduler/errors.js';

export type Role = 'admin' | 'monitor';

export interface Caller {
  role: Role;
  /** How the caller was admitted: a key (with its index in its list, for rotation audits) or loopback mode. */
  via: 'key' | 'loopback';
  keyIndex?: number;
}

export interface AuthOptions {
  adminKeys: readonly string[];
  monitorKeys: readonly string[];
  /** Failed attempts allowed per client address and window before 429 (default 20 per minute). */
  maxFailures?: number;
  windowMs?: number;
  now?: () => number;
}

const digest = (text: string): Buffer => createHash('sha256').update(text).digest();

export function isLoopbackAddress(address: string | undefined): boolean {
  if (address === undefined) return false;
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}

export function isLoopbackHost(host: string | undefined): boolean {
  if (host === undefined) return false;
  const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.split(':')[0];
  return name === 'localhost' || name === '[::1]' || (name !== undefined && /^127(\.\d{1,3}){3}$/.test(name));
}

export class Authenticator {
  private readonly admin: Buffer[];
  private readonly monitor: Buffer[];
  private readonly failures = new Map<string, { count: number; since: number }>();
  private readonly maxFailures: number;
  private readonly windowMs: number;
  private readonly now: () => number;

  constructor(options: AuthOptions) {
    this.admin = options.adminKeys.map(digest);
    this.monitor = options.monitorKeys.map(digest);
    this.maxFailures = options.maxFailures ?? 20;
    this.windowMs = options.windowMs ?? 60_000;
    // Rate-limit windows are about real time, not the scheduler's (injectable) clock.
    this.now = options.now ?? (() => performance.timeOrigin + performance.now());
  }

  get keysConfigured(): boolean {
    return this.admin.length + this.monitor.length > 0;
  }

  /** The caller, or an HttpError (401, 403, 429). */
  authenticate(request: FastifyRequest): Caller {
    const address = request.socket.remoteAddress ?? 'unknown';
    if (!this.keysConfigured) return this.loopbackOnly(request, address);
    this.checkRate(address);
    const header = request.headers.authorization;
    if (header === undefined || !header.startsWith('Bearer ') || header.length > 1024) {
      this.fail(address);
      throw new HttpError('UNAUTHORIZED', 'Send an API key as "Authorization: Bearer <key>" (set by TICKWORK_ADMIN_KEY or TICKWORK_MONITOR_KEY).');
    }
    const presented = digest(header.slice('Bearer '.length).trim());
    // Compare against every key, without stopping early, so timing says nothing about which matched.
    let match: Caller | null = null;
    this.admin.forEach((key, i) => {
      if (timingSafeEqual(key, presented) && match === null) match = { role: 'admin', via: 'key', keyIndex: i };
    });
    this.monitor.forEach((key, i) => {
      if (timingSafeEqual(key, presented) && match === null) match = { role: 'monitor', via: 'key', keyIndex: i };
    });
    if (match === null) {
      this.fail(address);
      throw new HttpError('UNAUTHORIZED', 'The API key is not valid.');
    }
    return match;
  }

  private loopbackOnly(request: FastifyRequest, address: string): Caller {
    if (!isLoopbackAddress(address)) {
      throw new HttpError('FORBIDDEN', 'No API keys are configured, so only loopback clients are served; set TICKWORK_ADMIN_KEY to allow remote access.');
    }
    if (!isLoopbackHost(request.headers.host)) {
      throw new HttpError('FORBIDDEN', 'No API keys are configured and the Host header is not a loopback name (localhost, 127.0.0.1, [::1]); set TICKWORK_ADMIN_KEY to serve other names.');
    }
    if (request.headers.forwarded !== undefined || request.headers['x-forwarded-for'] !== undefined) {
      throw new HttpError('FORBIDDEN', 'No API keys are configured and the request came through a proxy (Forwarded / X-Forwarded-For); set TICKWORK_ADMIN_KEY to serve it.');
    }
    return { role: 'admin', via: 'loopback' };
  }

  private checkRate(address: string): void {
    const entry = this.failures.get(address);
    if (entry === undefined) return;
    if (this.now() - entry.since > this.windowMs) {
      this.failures.delete(address);
      return;
    }
    if (entry.count >= this.maxFailures) {
      throw new HttpError('RATE_LIMITED', `Too many failed authentication attempts from this address; try again in ${Math.ceil((entry.since + this.windowMs - this.now()) / 1000)} s.`);
    }
  }

  private fail(address: string): void {
    // Bounded memory under a spray of addresses: start over rather than grow without limit.
    if (this.failures.size > 10_000) this.failures.clear();
    const entry = this.failures.get(address);
    if (entry === undefined) this.failures.set(address, { count: 1, since: this.now() });
    else entry.count++;
  }
}
