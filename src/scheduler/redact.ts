/**
 * Scrubs secrets out of text a run produces (its error message, its output) before it is recorded, logged
 * or served. A job's args are the only place the scheduler knows secrets from: {@link secretsOf} lists the
 * secret strings found in them, {@link scrubText} replaces them (and any URL userinfo) in a text, and a
 * {@link Redactor} does both with the list computed once per args object.
 *
 * A secret is matched in every form it may take in a text: as written and trimmed; percent-encoded, with
 * the hex digits of each `%XX` in either case, whether by encodeURIComponent, encodeURI, strict RFC 3986
 * (`!'()*` encoded too), `+` for spaces, or any mixture of encoded and plain characters; JSON-escaped
 * (`\"`, `\\`, `\/`, `\n`..., and `\uXXXX` with hex digits in either case for non-ASCII, controls and
 * the `"`, `\`, `/`, `<`, `>`, `&`, `'`, `+` and backquote some encoders escape, each character escaped or
 * not); and, for secrets of {@link MIN_BASE64_LENGTH} characters or more,
 * base64-encoded (standard or URL-safe, padded or not; percent-encoded too). URL userinfo is removed
 * from every text, also when its password holds an unencoded `/`, `?` or `#` (`postgres://bob:pa/ss@db`).
 *
 * Pure: no I/O, no clock. Strings shorter than {@link MIN_SECRET_LENGTH} characters are never treated as
 * secrets, neither when found in args nor when passed to scrubText: replacing every "a" or "42" in a text
 * would mangle it and hide nothing worth hiding. Every scan is linear in the text (no pattern here can
 * backtrack more than a few characters per position and form).
 */

import { stripUserinfo, userinfoSpans } from './url-userinfo.js';

/** What a secret is replaced with. */
export const REDACTED = '[redacted]';

/**
 * Shortest string treated as a secret (after trimming). Shorter values are ignored: `{ pwd: 'x' }` does
 * not turn every "x" of an error message into `[redacted]`.
 */
export const MIN_SECRET_LENGTH = 4;

/**
 * Shortest secret (and userinfo `user:password`) whose base64 forms are matched: the base64 of a shorter
 * string is a short word that may well appear in a text for other reasons.
 */
export const MIN_BASE64_LENGTH = 6;

/** How deep secretsOf walks into args (JSON args are shallow; this only bounds a pathological value). */
const MAX_DEPTH = 64;

/** Substrings of a key, lower-cased with everything but letters and digits removed, that make it secret. */
const SECRET_KEY_PARTS = [
  'token',
  'secret',
  'password',
  'passwd',
  'passphrase',
  'authorization',
  'apikey',
  'credential',
  'cookie',
  'privatekey',
  'accesskey',
  'jwt',
];

/** Words of a key (split at camelCase and at anything but letters and digits) that make it secret. */
const SECRET_KEY_WORDS = new Set(['auth', 'oauth', 'pwd', 'pass']);

/**
 * Whether a key names a secret, case-insensitively: it contains token, secret, password, passwd,
 * passphrase, authorization, api key (apikey, api_key, api-key, X-Api-Key), credential, cookie, private key,
 * access key or jwt (so `accessToken`, `clientSecret`, `db_password`, `Set-Cookie`), or has auth, oauth, pwd
 * or pass as a whole word (`auth`, `basicAuth`, `X-Auth`, `db_pwd`; not `author`).
 */
export function isSecretKey(key: string): boolean {
  const squashed = key.toLowerCase().replace(/[^a-z0-9]/g, '');
  for (const part of SECRET_KEY_PARTS) if (squashed.includes(part)) return true;
  const words = key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/);
  return words.some((word) => SECRET_KEY_WORDS.has(word));
}

/** `Bearer abc123`, `Basic dXNlcjpwYXNz`, `Token xyz`: an auth scheme and one credential. */
const SCHEME_CREDENTIAL = /^[A-Za-z][A-Za-z0-9_-]*[ \t]+([^\s]+)$/;

/**
 * The secret strings in a job's args (a JSON value), each listed once:
 * - the user and the password (percent-decoded, and as written when that differs) of every URL with
 *   userinfo (`scheme://user:pass@host`) found in any string, at any depth, also when the password holds
 *   an unencoded `/`, `?` or `#` (`postgres://bob:pa/ss@db`: see {@link userinfoSpans}); and, when
 *   `user:password` (both decoded) has {@link MIN_BASE64_LENGTH} characters or more, its base64 and
 *   `Basic <base64>`, the Authorization the http task sends for a URL with userinfo;
 * - every value of `args.headers` (all header values are secret: they are where credentials go), and a
 *   number there as the string sent (`String(value)`; booleans are not secrets);
 * - every string, at any depth, under a key that {@link isSecretKey} (`token`, `password`, `apiKey`, ...),
 *   including strings nested in an object or array under such a key (`credentials: { user, key }`);
 * - for each of those of the form `<scheme> <credential>` (`Bearer abc123`), the credential alone, and
 *   for `Basic <base64>` the decoded user and password too.
 * Strings shorter than {@link MIN_SECRET_LENGTH} after trimming, booleans, null and numbers (but for those
 * header values) are ignored. Never throws.
 */
export function secretsOf(args: unknown): string[] {
  const found = new Set<string>();
  try {
    walk(args, false, 0, found);
    if (isPlainObject(args) && isPlainObject(args.headers)) {
      for (const value of Object.values(args.headers)) {
        if (typeof value === 'string') addSecret(value, found);
        else if (typeof value === 'number' && Number.isFinite(value)) add(String(value), found);
      }
    }
  } catch {
    // A getter that throws or a proxy: keep what was found.
  }
  return [...found];
}

function walk(value: unknown, secret: boolean, depth: number, found: Set<string>): void {
  if (typeof value === 'string') {
    if (secret) addSecret(value, found);
    if (value.includes('@')) {
      addUserinfo(value, found);
      addUrl(value, found);
    }
    return;
  }
  if (depth >= MAX_DEPTH || typeof value !== 'object' || value === null) return;
  if (Array.isArray(value)) {
    for (const item of value) walk(item, secret, depth + 1, found);
    return;
  }
  for (const [key, item] of Object.entries(value)) walk(item, secret || isSecretKey(key), depth + 1, found);
}

/** Adds a secret value, and the credential of `<scheme> <credential>` (with Basic's user and password). */
function addSecret(value: string, found: Set<string>): void {
  add(value, found);
  const match = SCHEME_CREDENTIAL.exec(value.trim());
  const credential = match?.[1];
  if (credential === undefined) return;
  add(credential, found);
  if (/^basic[ \t]/i.test(value.trim()) && /^[A-Za-z0-9+/]+={0,2}$/.test(credential)) {
    const decoded = Buffer.from(credential, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    // Only a clean `user:password` (no control or replacement characters) is a decoding, not noise.
    if (colon > 0 && /^[\x20-\x7e\u00a0-\ufffc]+$/.test(decoded)) {
      add(decoded.slice(0, colon), found);
      add(decoded.slice(colon + 1), found);
    }
  }
}

/** Adds the user and password of every URL with userinfo in a string (see {@link userinfoSpans}). */
function addUserinfo(text: string, found: Set<string>): void {
  for (const [start, end] of userinfoSpans(text)) {
    const userinfo = text.slice(start, end);
    const colon = userinfo.indexOf(':');
    addCredentials(colon < 0 ? userinfo : userinfo.slice(0, colon), colon < 0 ? '' : userinfo.slice(colon + 1), found);
  }
}

/** Adds the user and password of a string that is a URL (one the scan may miss, as `a:p"w@host`). */
function addUrl(text: string, found: Set<string>): void {
  if (!text.includes('://')) return;
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    return;
  }
  addCredentials(url.username, url.password, found);
}

/**
 * Adds a URL's user and password, as written and decoded, and the `Basic` credential made of them
 * (base64 of `user:password`, decoded), as the http task sends it.
 */
function addCredentials(user: string, password: string, found: Set<string>): void {
  for (const part of [user, password]) {
    add(part, found);
    add(safeDecode(part), found);
  }
  if (user === '' && password === '') return;
  const credentials = `${safeDecode(user)}:${safeDecode(password)}`;
  if (credentials.length < MIN_BASE64_LENGTH) return;
  const encoded = Buffer.from(credentials, 'utf8').toString('base64');
  add(encoded, found);
  add(`Basic ${encoded}`, found);
}

function add(value: string, found: Set<string>): void {
  if (value.trim().length >= MIN_SECRET_LENGTH) found.add(value);
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A compiled list of secrets: a pattern for every form of each, longest first, as one regular expression. */
interface Matcher {
  readonly pattern: RegExp | null;
  /** The pattern of each form, longest first: used when one expression for all could not be built. */
  readonly parts: readonly RegExp[];
}

const NO_SECRETS: Matcher = { pattern: null, parts: [] };

/**
 * Characters some JSON encoder escapes: JSON.stringify `"`, `\` and controls; PHP `/` (as `\/`) and
 * non-ASCII; Go and .NET `<`, `>`, `&`, `'`, `+` and `` ` `` (as `\uXXXX`).
 */
function jsonEscaped(code: number): boolean {
  return code < 0x20 || code >= 0x7f || '"\\/<>&\'+`'.includes(String.fromCharCode(code));
}

/** The short JSON escapes: `\"`, `\\`, `\/`, `\b`, `\f`, `\n`, `\r`, `\t`. */
const JSON_SHORT = new Map([
  ['"', '"'],
  ['\\', '\\'],
  ['/', '/'],
  ['\b', 'b'],
  ['\f', 'f'],
  ['\n', 'n'],
  ['\r', 'r'],
  ['\t', 't'],
]);

/**
 * Adds the patterns of every form in which a secret may appear in a text, each with the length used to
 * sort them: for the secret as is and trimmed, its percent-encoded forms ({@link percentPattern}, which
 * match it as written too), its JSON-escaped forms ({@link jsonPattern}) when it has a character JSON may
 * escape, and, when it has {@link MIN_BASE64_LENGTH} characters or more, its base64 (standard and URL-safe,
 * with and without padding, each also percent-encoded). Secrets shorter than MIN_SECRET_LENGTH once
 * trimmed are left out.
 */
function formsOf(secret: string, into: Map<string, number>): void {
  const trimmed = secret.trim();
  if (trimmed.length < MIN_SECRET_LENGTH) return;
  const put = (source: string, length: number): void => {
    into.set(source, Math.max(length, into.get(source) ?? 0));
  };
  for (const s of new Set([secret, trimmed])) {
    put(percentPattern(s), s.length);
    if (Array.from(s, (char) => char.charCodeAt(0)).some(jsonEscaped)) put(jsonPattern(s), s.length);
    if (trimmed.length >= MIN_BASE64_LENGTH) {
      const standard = Buffer.from(s, 'utf8').toString('base64');
      const urlSafe = standard.replace(/\+/g, '-').replace(/\//g, '_');
      for (const form of [standard, standard.replace(/=+$/, ''), urlSafe, urlSafe.replace(/=+$/, '')]) put(percentPattern(form), form.length);
    }
  }
}

/**
 * The source of a pattern matching a string as written and in every percent-encoding of it, with each
 * character plain or encoded (so encodeURIComponent, encodeURI, RFC 3986's strict encoding of `!'()*`, and
 * any mixture), the hex digits of each `%XX` in either case, and `+` or `%20` for a space. A `%XX` in the
 * secret itself matches in either case and encoded again (`%25XX`). Letters and digits match as they are:
 * no encoder encodes them. No two alternatives for a character start alike but `%` and `%25`, so the
 * pattern backtracks at most two characters.
 */
function percentPattern(s: string): string {
  const chars = Array.from(s);
  let out = '';
  for (let i = 0; i < chars.length; i++) {
    const char = chars[i] ?? '';
    if (/^[A-Za-z0-9]$/.test(char)) {
      out += char;
    } else if (char === '%') {
      out += '%(?:25)?';
      const hex = `${chars[i + 1] ?? ''}${chars[i + 2] ?? ''}`;
      if (/^[0-9A-Fa-f]{2}$/.test(hex)) {
        out += hexPattern(hex);
        i += 2;
      }
    } else {
      const alternatives = [literal(char)];
      if (char === ' ') alternatives.push('\\+');
      // A lone surrogate has no UTF-8 form: it cannot appear percent-encoded.
      if (!/^[\ud800-\udfff]$/.test(char)) {
        alternatives.push(Array.from(Buffer.from(char, 'utf8'), (byte) => `%${hexPattern(byte.toString(16).padStart(2, '0'))}`).join(''));
      }
      out += `(?:${alternatives.join('|')})`;
    }
  }
  return out;
}

/**
 * The source of a pattern matching a string escaped inside a JSON string, each character escaped or not:
 * `\"` and `\\` (never plain), the short escapes of `/` and controls, and `\uXXXX` (either case) for
 * every character JSON may escape (non-ASCII one UTF-16 unit at a time, as a surrogate pair is escaped).
 * An escape starts with `\`, which no plain character here does: the pattern never backtracks.
 */
function jsonPattern(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const char = s.charAt(i);
    if (!jsonEscaped(s.charCodeAt(i))) {
      out += literal(char);
      continue;
    }
    const escapes = [`u${hexPattern(s.charCodeAt(i).toString(16).padStart(4, '0'))}`];
    const short = JSON_SHORT.get(char);
    if (short !== undefined) escapes.unshift(literal(short));
    const escaped = `\\\\(?:${escapes.join('|')})`;
    out += char === '"' || char === '\\' ? escaped : `(?:${literal(char)}|${escaped})`;
  }
  return out;
}

/** The source of a pattern matching hex digits with their letters in either case (`2f` -> `2[fF]`). */
function hexPattern(hex: string): string {
  return hex.replace(/[a-fA-F]/g, (digit) => `[${digit.toLowerCase()}${digit.toUpperCase()}]`);
}

/** The source of a pattern matching a text literally (controls and non-ASCII as `\uXXXX`). */
function literal(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const char = text.charAt(i);
    if (code < 0x20 || code > 0x7e) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += /[\\^$.*+?()[\]{}|/-]/.test(char) ? `\\${char}` : char;
  }
  return out;
}

function compile(secrets: readonly string[]): Matcher {
  if (!Array.isArray(secrets) || secrets.length === 0) return NO_SECRETS;
  const forms = new Map<string, number>();
  for (const secret of secrets) if (typeof secret === 'string') formsOf(secret, forms);
  if (forms.size === 0) return NO_SECRETS;
  // Longest first: at a given position the alternation takes the first form that matches, so a secret
  // that contains another is replaced whole, not left with a tail.
  const sources = [...forms].sort((a, b) => b[1] - a[1]).map(([source]) => source);
  try {
    return { pattern: new RegExp(sources.join('|'), 'g'), parts: [] };
  } catch {
    // Too large for one expression: one per form. Should one of these fail too, scrubText fails, safely.
    return { pattern: null, parts: sources.map((source) => new RegExp(source, 'g')) };
  }
}

function apply(text: string, matcher: Matcher): string {
  let out = text;
  if (matcher.pattern !== null) out = out.replace(matcher.pattern, REDACTED);
  else for (const part of matcher.parts) out = out.replace(part, REDACTED);
  return out.includes('@') ? stripUserinfo(out, REDACTED) : out;
}

/**
 * `text` with every occurrence of each secret (as is, trimmed, percent-encoded, JSON-escaped, base64: see
 * {@link formsOf}; longest first, so overlapping secrets are covered whole) replaced with `[redacted]`, and
 * the userinfo of every URL removed even with no secrets (`https://user:pass@host` ->
 * `https://[redacted]@host`, the same for `https://user@host` and `postgres://bob:pa/ss@db`: see
 * {@link userinfoSpans}). Secrets shorter than {@link MIN_SECRET_LENGTH} are ignored. Returns `text` itself
 * when there is nothing to replace; with no secrets and no `@` in the text it only scans for the `@`.
 * Never throws: if scrubbing fails anyway, the whole text is replaced with `[redacted]`.
 */
export function scrubText(text: string, secrets: readonly string[]): string {
  if (typeof text !== 'string') return text;
  if ((!Array.isArray(secrets) || secrets.length === 0) && !text.includes('@')) return text;
  try {
    return apply(text, compile(secrets));
  } catch {
    return REDACTED;
  }
}

/**
 * The secrets of one job's args, found once and compiled once. {@link Redactor.of} keeps one per args
 * object (by identity, weakly), since it is wanted on every failed run of the job. The args object is
 * assumed not to be changed in place after the first call (jobs get a new args object when modified).
 */
export class Redactor {
  /**
   * Module-wide, not per scheduler: a Redactor depends on its args object alone (weakly held, gone with
   * it), so a scheduler can only find here what it would have computed from an args object it holds.
   */
  private static readonly cache = new WeakMap<object, Redactor>();
  private matcher: Matcher | null = null;

  /** The secrets of `args`, as {@link secretsOf} finds them. */
  readonly secrets: readonly string[];

  constructor(args: unknown) {
    this.secrets = secretsOf(args);
  }

  /** The Redactor of an args value: the same instance for the same args object. */
  static of(args: unknown): Redactor {
    if (typeof args !== 'object' || args === null) return new Redactor(args);
    let redactor = Redactor.cache.get(args);
    if (redactor === undefined) {
      redactor = new Redactor(args);
      Redactor.cache.set(args, redactor);
    }
    return redactor;
  }

  /** {@link scrubText} with this job's secrets (the pattern is built on first use, then kept). */
  scrub(text: string): string {
    if (typeof text !== 'string') return text;
    if (this.secrets.length === 0 && !text.includes('@')) return text;
    try {
      this.matcher ??= compile(this.secrets);
      return apply(text, this.matcher);
    } catch {
      return REDACTED;
    }
  }
}

/**
 * A copy of args with their secrets replaced by {@link REDACTED}, for where args are shown to whoever
 * may read (an audit entry): every value under a secret key ({@link isSecretKey}) and every value of
 * `args.headers` whole, and in every other string the secrets {@link secretsOf} finds and URL userinfo
 * (see {@link scrubText}). Numbers, booleans and null are kept. Never throws.
 */
export function redactArgs(args: unknown): unknown {
  const secrets = secretsOf(args);
  const copy = (value: unknown, secret: boolean, depth: number): unknown => {
    if (secret && value !== null && typeof value !== 'object') return typeof value === 'string' ? REDACTED : value;
    if (typeof value === 'string') return scrubText(value, secrets);
    if (typeof value !== 'object' || value === null || depth >= MAX_DEPTH) return depth >= MAX_DEPTH ? REDACTED : value;
    if (Array.isArray(value)) return value.map((item) => copy(item, secret, depth + 1));
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      const headers = depth === 0 && key === 'headers' && isPlainObject(item);
      out[key] = headers ? Object.fromEntries(Object.keys(item).map((name) => [name, REDACTED])) : copy(item, secret || isSecretKey(key), depth + 1);
    }
    return out;
  };
  try {
    return copy(args, false, 0);
  } catch {
    return REDACTED;
  }
}
