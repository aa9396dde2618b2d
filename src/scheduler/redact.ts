/**
 * Scrubs secrets out of text a run produces (its error message, its output) before it is recorded, logged
 * or served. A job's args are the only place the scheduler knows secrets from: {@link secretsOf} lists the
 * secret strings found in them, {@link scrubText} replaces them (and any URL userinfo) in a text, and a
 * {@link Redactor} does both with the list computed once per args object.
 *
 * Pure: no I/O, no clock. Strings shorter than {@link MIN_SECRET_LENGTH} characters are never treated as
 * secrets, neither when found in args nor when passed to scrubText: replacing every "a" or "42" in a text
 * would mangle it and hide nothing worth hiding.
 */

/** What a secret is replaced with. */
export const REDACTED = '[redacted]';

/**
 * Shortest string treated as a secret (after trimming). Shorter values are ignored: `{ pwd: 'x' }` does
 * not turn every "x" of an error message into `[redacted]`.
 */
export const MIN_SECRET_LENGTH = 4;

/** How deep secretsOf walks into args (JSON args are shallow; this only bounds a pathological value). */
const MAX_DEPTH = 64;

/** Substrings of a key, lower-cased with everything but letters and digits removed, that make it secret. */
const SECRET_KEY_PARTS = [
  'token', 'secret', 'password', 'passwd', 'passphrase', 'authorization', 'apikey', 'credential', 'cookie',
  'privatekey', 'accesskey', 'jwt',
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
  const words = key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase().split(/[^a-z0-9]+/);
  return words.some((word) => SECRET_KEY_WORDS.has(word));
}

/**
 * The userinfo of URLs in a text: `scheme://` then the userinfo (the characters RFC 3986 allows there,
 * greedy so that the last `@` of the authority ends it, as URL parsers read it) then `@`. Quotes, spaces,
 * `/`, `?`, `#`, `<`, `>` end the search, so `{"url":"http://host","mail":"a@b"}` is left alone. `[` and
 * `]` are let in so that `http://user:[redacted]@host` (a password already replaced) loses its user too.
 * The look-behind starts a scheme only at the start of a word, which keeps the scan linear.
 */
const USERINFO = /(?<![a-zA-Z0-9+.-])([a-zA-Z][a-zA-Z0-9+.-]*:\/\/)([A-Za-z0-9\-._~%!$&'()*+,;=:@[\]]*[A-Za-z0-9\-._~%!$&'()*+,;=:[\]])@/g;

/** `Bearer abc123`, `Basic dXNlcjpwYXNz`, `Token xyz`: an auth scheme and one credential. */
const SCHEME_CREDENTIAL = /^[A-Za-z][A-Za-z0-9_-]*[ \t]+([^\s]+)$/;

/**
 * The secret strings in a job's args (a JSON value), each listed once:
 * - the user and the password (percent-decoded, and as written when that differs) of every URL with
 *   userinfo (`scheme://user:pass@host`) found in any string, at any depth;
 * - every value of `args.headers` (all header values are secret: they are where credentials go);
 * - every string, at any depth, under a key that {@link isSecretKey} (`token`, `password`, `apiKey`, ...),
 *   including strings nested in an object or array under such a key (`credentials: { user, key }`);
 * - for each of those of the form `<scheme> <credential>` (`Bearer abc123`), the credential alone, and
 *   for `Basic <base64>` the decoded user and password too.
 * Strings shorter than {@link MIN_SECRET_LENGTH} after trimming, numbers, booleans and null are ignored.
 * Never throws.
 */
export function secretsOf(args: unknown): string[] {
  const found = new Set<string>();
  try {
    walk(args, false, 0, found);
    if (isPlainObject(args) && isPlainObject(args.headers)) {
      for (const value of Object.values(args.headers)) if (typeof value === 'string') addSecret(value, found);
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

/** Adds the user and password of every URL with userinfo in a string. */
function addUserinfo(text: string, found: Set<string>): void {
  for (const match of text.matchAll(USERINFO)) {
    const userinfo = match[2] ?? '';
    const colon = userinfo.indexOf(':');
    const user = colon < 0 ? userinfo : userinfo.slice(0, colon);
    const password = colon < 0 ? '' : userinfo.slice(colon + 1);
    for (const part of [user, password]) {
      add(part, found);
      add(safeDecode(part), found);
    }
  }
}

/** Adds the user and password of a string that is a URL (one the pattern may miss, as `a:p"w@host`). */
function addUrl(text: string, found: Set<string>): void {
  if (!text.includes('://')) return;
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    return;
  }
  for (const part of [url.username, url.password]) {
    add(part, found);
    add(safeDecode(part), found);
  }
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

/** A compiled list of secrets: every form of each, longest first, as one regular expression. */
interface Matcher {
  readonly pattern: RegExp | null;
  /** Used when the pattern could not be built (a list too large for one regular expression). */
  readonly forms: readonly string[];
}

const NO_SECRETS: Matcher = { pattern: null, forms: [] };

/**
 * Every form in which a secret may appear in a text: as is, trimmed, percent-encoded
 * (`encodeURIComponent`, the same with `+` for spaces as in a form or query, `encodeURI`) and escaped
 * inside a JSON string. Forms shorter than MIN_SECRET_LENGTH are left out.
 */
function formsOf(secret: string, into: Set<string>): void {
  const trimmed = secret.trim();
  if (trimmed.length < MIN_SECRET_LENGTH) return;
  const forms = [secret, trimmed];
  for (const s of [secret, trimmed]) {
    try {
      const component = encodeURIComponent(s);
      forms.push(component, component.replace(/%20/g, '+'), encodeURI(s));
    } catch {
      // A lone surrogate cannot be percent-encoded: it cannot appear encoded either.
    }
    forms.push(JSON.stringify(s).slice(1, -1));
  }
  for (const form of forms) if (form.length >= MIN_SECRET_LENGTH) into.add(form);
}

function compile(secrets: readonly string[]): Matcher {
  if (!Array.isArray(secrets) || secrets.length === 0) return NO_SECRETS;
  const set = new Set<string>();
  for (const secret of secrets) if (typeof secret === 'string') formsOf(secret, set);
  if (set.size === 0) return NO_SECRETS;
  // Longest first: at a given position the alternation takes the first form that matches, so a secret
  // that contains another is replaced whole, not left with a tail.
  const forms = [...set].sort((a, b) => b.length - a.length);
  let pattern: RegExp | null = null;
  try {
    pattern = new RegExp(forms.map(escapeRegExp).join('|'), 'g');
  } catch {
    pattern = null;
  }
  return { pattern, forms };
}

function escapeRegExp(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
}

function apply(text: string, matcher: Matcher): string {
  let out = text;
  if (matcher.pattern !== null) out = out.replace(matcher.pattern, REDACTED);
  else for (const form of matcher.forms) if (out.includes(form)) out = out.split(form).join(REDACTED);
  if (out.includes('@')) out = out.replace(USERINFO, `$1${REDACTED}@`);
  return out;
}

/**
 * `text` with every occurrence of each secret (as is, trimmed, percent-encoded, JSON-escaped; longest
 * first, so overlapping secrets are covered whole) replaced with `[redacted]`, and the userinfo of every
 * URL removed even with no secrets (`https://user:pass@host` -> `https://[redacted]@host`, and the same for
 * `https://user@host`). Secrets shorter than {@link MIN_SECRET_LENGTH} are ignored. Returns `text` itself
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
