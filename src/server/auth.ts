/**
 * API keys with two roles: `admin` (everything) and `monitor` (read-only), sent as
 * `Authorization: Bearer <key>` and compared in constant time. Failed attempts are counted per client
 * (an IPv4 address, or an IPv6 client's /64, since a client may pick any address in it); past the limit a
 * failed attempt gets 429, but a request that carries a valid key is always served, so one misconfigured
 * client behind a NAT or proxy cannot lock the others out.
 *
 * With no keys configured, only a direct local client is served: a loopback peer, a loopback `Host`
 * (DNS rebinding), HTTP/1.1 or later, and none of the headers proxies add. That refuses what the usual
 * reverse proxies send by default (nginx's `proxy_pass` speaks HTTP/1.0 and keeps a loopback Host;
 * Apache, Caddy and Traefik add `X-Forwarded-For`; many add `Via` or `X-Real-IP`). A proxy that adds
 * nothing at the TCP level stays invisible, which is why the README says: behind any proxy, set keys.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { HttpError, InvalidArgumentError } from '../core/errors.js';

export type Role = 'admin' | 'monitor';

export interface Caller {
  role: Role;
  /** How the caller was admitted: a key (with its index in its list, for rotation audits) or loopback mode. */
  via: 'key' | 'loopback';
  keyIndex?: number;
  /** Who the caller is, for per-caller limits: `admin:0`, `monitor:1`, or `addr:<client>` in loopback mode. */
  id: string;
}

export interface AuthOptions {
  adminKeys: readonly string[];
  monitorKeys: readonly string[];
  /** Failed attempts allowed per client and window before 429 (default 20 per minute). */
  maxFailures?: number;
  windowMs?: number;
  /** Clients whose failures are remembered at once; the least recently seen is forgotten first (default 10 000). */
  maxTrackedClients?: number;
  now?: () => number;
}

/** The shortest key accepted: a key an attacker could guess would make the limiter the only defence. */
export const MIN_KEY_LENGTH = 16;

/** Headers a forwarding proxy adds: in keyless mode, any of them means the client is not local. */
export const PROXY_HEADERS = [
  'forwarded',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-proto',
  'x-forwarded-port',
  'x-forwarded-server',
  'x-real-ip',
  'via',
  'x-client-ip',
  'true-client-ip',
  'cf-connecting-ip',
  'fastly-client-ip',
  'x-cluster-client-ip',
  'client-ip',
  'forwarded-for',
  'x-original-forwarded-for',
  'x-proxyuser-ip',
] as const;

const digest = (text: string): Buffer => createHash('sha256').update(text).digest();

/**
 * Refuses a key that is too short or holds anything but printable ASCII without spaces (it travels in a
 * header, and a key with a space or an invisible character is a configuration mistake). The message
 * names where the key came from, never the key.
 */
export function validateKey(key: unknown, where: string): string {
  if (typeof key !== 'string') throw InvalidArgumentError.field(where, 'must be a string.');
  if (key.length < MIN_KEY_LENGTH) {
    throw InvalidArgumentError.field(
      where,
      `is ${key.length} characters long; an API key needs at least ${MIN_KEY_LENGTH} (generate one with: openssl rand -hex 24).`,
    );
  }
  if (!/^[\x21-\x7e]+$/.test(key)) {
    throw InvalidArgumentError.field(where, 'may hold only printable ASCII characters without spaces (generate one with: openssl rand -hex 24).');
  }
  return key;
}

export function isLoopbackAddress(address: string | undefined): boolean {
  if (address === undefined) return false;
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}

/** A loopback name with an optional port, and nothing else (`localhost:evil.com` is not). */
const LOOPBACK_HOST = /^(?:localhost|127(?:\.\d{1,3}){3}|\[::1\])(?::\d{1,5})?$/i;

export function isLoopbackHost(host: string | undefined): boolean {
  return host !== undefined && LOOPBACK_HOST.test(host);
}

/** An Origin header of a page served from a loopback name (the dashboard itself). */
function isLoopbackOrigin(origin: string): boolean {
  const match = /^https?:\/\/(.+)$/i.exec(origin);
  return match !== null && isLoopbackHost(match[1]);
}

/** A browser's `Sec-Fetch-Site` that says the request is not from another site's page (absent: no browser, or an old one). */
function isOwnSite(site: string | undefined): boolean {
  return site === undefined || site === 'same-origin' || site === 'none';
}

/**
 * Whether no browser says the request comes from another page: `Sec-Fetch-Site` absent, `same-origin` or
 * `none`, and `Origin` absent or this server's own (its scheme and Host). Stricter than the keyless check
 * below, which lets any loopback origin read: another local port is another site's page here.
 */
export function isOwnPage(request: FastifyRequest): boolean {
  const origin = request.headers.origin;
  return (
    isOwnSite(request.headers['sec-fetch-site']) &&
    (origin === undefined || origin.toLowerCase() === `${request.protocol}://${request.headers.host ?? ''}`.toLowerCase())
  );
}

/**
 * The key a client's failures are counted under: an IPv4 address as it is (also when IPv4-mapped), an
 * IPv6 address by its /64, the block one host or customer is usually given.
 */
export function clientKey(address: string | undefined): string {
  if (address === undefined || address === '') return 'unknown';
  if (address.startsWith('::ffff:') && address.includes('.')) return address.slice('::ffff:'.length);
  if (!address.includes(':')) return address;
  const zoneless = address.split('%')[0] ?? address;
  const [head = '', tail] = zoneless.split('::');
  const headParts = head === '' ? [] : head.split(':');
  const tailParts = tail === undefined || tail === '' ? [] : tail.split(':');
  const missing = Math.max(0, 8 - headParts.length - tailParts.length);
  const groups = tail === undefined ? headParts : [...headParts, ...Array<string>(missing).fill('0'), ...tailParts];
  return `${groups
    .slice(0, 4)
    .map((g) => (g === '' ? '0' : g.toLowerCase().replace(/^0+(?=.)/, '')))
    .join(':')}::/64`;
}

interface Failures {
  count: number;
  since: number;
}

export class Authenticator {
  private readonly admin: Buffer[];
  private readonly monitor: Buffer[];
  /** Failures per client key; a Map keeps insertion order, so re-inserting on use makes it an LRU. */
  private readonly failures = new Map<string, Failures>();
  private readonly maxFailures: number;
  private readonly windowMs: number;
  private readonly maxTracked: number;
  private readonly now: () => number;

  constructor(options: AuthOptions) {
    this.admin = options.adminKeys.map((key, i) => digest(validateKey(key, `adminKeys[${i}]`)));
    this.monitor = options.monitorKeys.map((key, i) => digest(validateKey(key, `monitorKeys[${i}]`)));
    this.maxFailures = options.maxFailures ?? 20;
    this.windowMs = options.windowMs ?? 60_000;
    this.maxTracked = options.maxTrackedClients ?? 10_000;
    // Rate-limit windows are about real time, not the scheduler's (injectable) clock.
    this.now = options.now ?? (() => performance.timeOrigin + performance.now());
  }

  get keysConfigured(): boolean {
    return this.admin.length + this.monitor.length > 0;
  }

  /** Clients with failures remembered (bounded by maxTrackedClients). */
  get trackedClients(): number {
    return this.failures.size;
  }

  /** The caller, or an HttpError (401, 403, 429). */
  authenticate(request: FastifyRequest): Caller {
    const address = request.socket.remoteAddress;
    if (!this.keysConfigured) return this.loopbackOnly(request, address);
    const header = request.headers.authorization;
    // The scheme is case-insensitive (RFC 9110); the key after it is compared as sent.
    const presented = header !== undefined && /^bearer /i.test(header) && header.length <= 1024 ? header.slice('Bearer '.length) : null;
    const match = presented === null ? null : this.match(digest(presented));
    if (match !== null) return match;
    const client = clientKey(address);
    this.fail(client);
    if (presented === null) {
      throw new HttpError('UNAUTHORIZED', 'Send an API key as "Authorization: Bearer <key>" (set by TICKWORK_ADMIN_KEY or TICKWORK_MONITOR_KEY).');
    }
    throw new HttpError('UNAUTHORIZED', 'The API key is not valid.');
  }

  /** Compares against every key, without stopping early, so timing says nothing about which matched. */
  private match(presented: Buffer): Caller | null {
    let match: Caller | null = null;
    this.admin.forEach((key, i) => {
      if (timingSafeEqual(key, presented) && match === null) match = { role: 'admin', via: 'key', keyIndex: i, id: `admin:${i}` };
    });
    this.monitor.forEach((key, i) => {
      if (timingSafeEqual(key, presented) && match === null) match = { role: 'monitor', via: 'key', keyIndex: i, id: `monitor:${i}` };
    });
    return match;
  }

  private loopbackOnly(request: FastifyRequest, address: string | undefined): Caller {
    if (!isLoopbackAddress(address)) {
      throw new HttpError('FORBIDDEN', 'No API keys are configured, so only loopback clients are served; set TICKWORK_ADMIN_KEY to allow remote access.');
    }
    const hosts = request.raw.rawHeaders.filter((_v, i) => i % 2 === 0 && request.raw.rawHeaders[i]?.toLowerCase() === 'host').length;
    if (hosts !== 1 || !isLoopbackHost(request.headers.host)) {
      throw new HttpError(
        'FORBIDDEN',
        'No API keys are configured and the Host header is not a loopback name (localhost, 127.0.0.1, [::1]); set TICKWORK_ADMIN_KEY to serve other names.',
      );
    }
    const raw = request.raw;
    if (raw.httpVersionMajor < 1 || (raw.httpVersionMajor === 1 && raw.httpVersionMinor < 1)) {
      throw new HttpError(
        'FORBIDDEN',
        'No API keys are configured and the request is HTTP/1.0, as a reverse proxy sends it; behind a proxy, set TICKWORK_ADMIN_KEY.',
      );
    }
    const proxied = PROXY_HEADERS.find((name) => request.headers[name] !== undefined);
    if (proxied !== undefined) {
      throw new HttpError(
        'FORBIDDEN',
        `No API keys are configured and the request came through a proxy (it has a ${proxied} header); behind a proxy, set TICKWORK_ADMIN_KEY.`,
      );
    }
    // A page on another site in the operator's browser may send requests here (it cannot read the
    // answers: no CORS), and would hold event-stream slots or trigger GETs. Browsers say where a request
    // comes from; only the dashboard itself (same origin) and direct navigation are served.
    const site = request.headers['sec-fetch-site'];
    const origin = request.headers.origin;
    if (!isOwnSite(site) || (origin !== undefined && !isLoopbackOrigin(origin))) {
      throw new HttpError(
        'FORBIDDEN',
        'No API keys are configured and the request came from a page on another site; only the dashboard and local clients are served.',
      );
    }
    return { role: 'admin', via: 'loopback', id: `addr:${clientKey(address)}` };
  }

  /** Counts a failure; past the limit within the window, the failure is answered 429 instead of 401. */
  private fail(client: string): void {
    const now = this.now();
    let entry = this.failures.get(client);
    if (entry !== undefined) this.failures.delete(client);
    if (entry === undefined || now - entry.since > this.windowMs) entry = { count: 0, since: now };
    entry.count++;
    this.failures.set(client, entry);
    if (this.failures.size > this.maxTracked) {
      const oldest = this.failures.keys().next();
      if (oldest.done !== true) this.failures.delete(oldest.value);
    }
    if (entry.count > this.maxFailures) {
      throw new HttpError(
        'RATE_LIMITED',
        `Too many failed authentication attempts from this client; try again in ${Math.ceil((entry.since + this.windowMs - now) / 1000)} s.`,
      );
    }
  }
}
