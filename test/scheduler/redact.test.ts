/** The secret scrubber: which args values are secrets, and how a text is scrubbed of them. */
import { describe, expect, it } from 'vitest';
import { isSecretKey, MIN_SECRET_LENGTH, REDACTED, redactArgs, Redactor, scrubText, secretsOf } from '../../src/scheduler/redact.js';

/** base64(`user:password`) and `Basic <that>`: what the http task sends for a URL with userinfo. */
function basic(credentials: string): string[] {
  const encoded = Buffer.from(credentials, 'utf8').toString('base64');
  return [encoded, `Basic ${encoded}`];
}

/**
 * How much longer `work` takes on a text 4 times larger (best of 5 each, so a busy machine does not
 * decide): about 4 for linear work, 16 for quadratic. A ratio, not a time bound, so the test does not
 * depend on the machine's speed.
 */
function growth(work: (text: string) => void, shape: (n: number) => string): number {
  const best = (text: string): number => {
    let min = Number.POSITIVE_INFINITY;
    for (let i = 0; i < 5; i++) {
      const start = performance.now();
      work(text);
      min = Math.min(min, performance.now() - start);
    }
    return min;
  };
  const small = shape(20_000);
  const large = shape(80_000);
  work(large); // warm up (compiled code, a grown heap)
  return best(large) / Math.max(best(small), 0.05);
}

describe('isSecretKey', () => {
  it.each([
    'token',
    'accessToken',
    'refresh_token',
    'secret',
    'clientSecret',
    'password',
    'db_password',
    'DB_PASSWORD',
    'passwd',
    'pwd',
    'db_pwd',
    'authorization',
    'Authorization',
    'auth',
    'basicAuth',
    'X-Auth',
    'api_key',
    'apikey',
    'api-key',
    'apiKey',
    'X-Api-Key',
    'credential',
    'credentials',
    'cookie',
    'Set-Cookie',
    'private_key',
    'privateKey',
    'passphrase',
  ])('%s is secret', (key) => {
    expect(isSecretKey(key)).toBe(true);
  });

  it.each(['url', 'method', 'author', 'authority', 'message', 'key', 'name', 'user', 'username', 'keyboard', 'path'])('%s is not secret', (key) => {
    expect(isSecretKey(key)).toBe(false);
  });
});

describe('secretsOf', () => {
  it('finds the user and password of a URL with userinfo, at any depth (and their Basic credential)', () => {
    expect(secretsOf({ url: 'https://alice:s3cretpw@api.example.com/x' }).sort()).toEqual(['alice', 's3cretpw', ...basic('alice:s3cretpw')].sort());
    expect(secretsOf({ targets: [{ hook: { to: 'http://robot:hunter22@10.0.0.1:8080/' } }] }).sort()).toEqual(
      ['hunter22', 'robot', ...basic('robot:hunter22')].sort(),
    );
    expect(secretsOf('postgres://admin:pg-pass-1@db/app').sort()).toEqual(['admin', 'pg-pass-1', ...basic('admin:pg-pass-1')].sort());
  });

  it('lists a percent-encoded userinfo both as written and decoded', () => {
    const secrets = secretsOf({ url: 'https://bob%40corp:p%40ss%2Fw0rd@example.com/' });
    expect(secrets).toEqual(expect.arrayContaining(['bob%40corp', 'bob@corp', 'p%40ss%2Fw0rd', 'p@ss/w0rd']));
  });

  it('finds a URL with userinfo inside a longer string', () => {
    expect(secretsOf({ command: 'curl', args: ['-s', 'see https://ci:tok-9876@git.example.com/repo.git'] }).sort()).toEqual(
      ['tok-9876', ...basic('ci:tok-9876')].sort(),
    );
  });

  it('finds a userinfo the URL parser reads but the pattern does not (a quote in the password)', () => {
    expect(secretsOf({ url: 'https://user1:pa"ss{x@host.example/' })).toEqual(expect.arrayContaining(['user1', 'pa%22ss%7Bx', 'pa"ss{x']));
  });

  it('counts every value of args.headers as secret, whatever its name', () => {
    const secrets = secretsOf({ url: 'https://x.example', headers: { 'X-Tenant': 'tenant-42', Accept: 'application/json' } });
    expect(secrets.sort()).toEqual(['application/json', 'tenant-42']);
  });

  it('adds the credential of "<scheme> <credential>" on its own', () => {
    expect(secretsOf({ headers: { authorization: 'Bearer abc123' } }).sort()).toEqual(['Bearer abc123', 'abc123']);
    expect(secretsOf({ token: 'Token zz-99' }).sort()).toEqual(['Token zz-99', 'zz-99']);
  });

  it('decodes Basic credentials into their user and password', () => {
    const basic = `Basic ${Buffer.from('svc-user:very-secret').toString('base64')}`;
    expect(secretsOf({ headers: { Authorization: basic } })).toEqual(expect.arrayContaining([basic, 'svc-user', 'very-secret']));
  });

  it('finds strings under secret keys at any depth, in objects and arrays', () => {
    const args = {
      accessToken: 'tok-aaaa',
      nested: { deeper: { clientSecret: 'sec-bbbb', db_password: 'pw-cccc' } },
      list: [{ 'X-Api-Key': 'key-dddd' }, { name: 'not-secret' }],
      tokens: ['tok-eeee', 'tok-ffff'],
      credentials: { user: 'cred-user', key: 'cred-key' },
    };
    expect(secretsOf(args).sort()).toEqual(['cred-key', 'cred-user', 'key-dddd', 'pw-cccc', 'sec-bbbb', 'tok-aaaa', 'tok-eeee', 'tok-ffff']);
  });

  it(`ignores values shorter than ${MIN_SECRET_LENGTH} characters (after trimming)`, () => {
    expect(secretsOf({ password: 'abc', token: '  xy  ', headers: { a: 'b', c: 'de' }, url: 'http://u:pw@host/' })).toEqual([]);
    expect(secretsOf({ password: 'abcd' })).toEqual(['abcd']);
  });

  it('ignores non-string values, even under secret keys (but for numbers in args.headers)', () => {
    expect(secretsOf({ password: 12345678, token: true, secret: null, apiKey: { n: 1234567 }, headers: { 'X-N': 999, 'X-B': true } })).toEqual([]);
  });

  it('counts a number header value as the string the http task sends, booleans not', () => {
    expect(secretsOf({ headers: { 'X-Api-Key': 123456789012, 'X-Debug': true, 'X-Short': 123, 'X-Neg': -4567.5 } }).sort()).toEqual([
      '-4567.5',
      '123456789012',
    ]);
  });

  it('adds base64(user:password) and "Basic <that>" for each URL userinfo, as the http task sends it', () => {
    const url = 'https://alice%40corp:p%40ss%20w%C3%B6rd@api.example.com/';
    const parsed = new URL(url);
    // What src/tasks/http.ts puts in Authorization for a URL with userinfo.
    const sent = Buffer.from(`${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}`, 'utf8').toString('base64');
    expect(secretsOf({ url })).toEqual(expect.arrayContaining([sent, `Basic ${sent}`]));
    expect(Redactor.of({ url }).scrub(`GET failed, Authorization: Basic ${sent}`)).toBe(`GET failed, Authorization: ${REDACTED}`);
    // A user alone is sent as "user:".
    expect(secretsOf({ url: 'https://deploy-bot@git.example/' })).toEqual(expect.arrayContaining(basic('deploy-bot:')));
    // Not for a userinfo shorter than 6 characters.
    expect(secretsOf({ url: 'http://ab:cd@host/' })).toEqual([]);
  });

  it('finds a userinfo whose password holds an unencoded /, # or ?', () => {
    const secrets = secretsOf({ a: 'postgres://bob:pa/ss@db/x', b: 'see mysql://root:pa#ss@db now', c: '"redis://:p?w0rd@r"' });
    expect(secrets).toEqual(expect.arrayContaining(['pa/ss', 'root', 'pa#ss', 'p?w0rd']));
    expect(secrets).not.toContain('bob');
    // The last @ before a space or quote ends it.
    expect(secretsOf({ url: 'ftp://svc-user:x/y@z@files.example/dir' })).toEqual(expect.arrayContaining(['svc-user', 'x/y@z']));
  });

  it('does not take a host:port or a path for a userinfo', () => {
    expect(secretsOf({ url: 'http://host.example:8080/x?mail=ops@example.com' })).toEqual([]);
    expect(secretsOf({ url: 'http://[::1]:8080/x?mail=ops@example.com', b: 'https://host/a:bcde@f' })).toEqual([]);
  });

  it('finds nothing in args without secrets, and never throws', () => {
    expect(secretsOf({ url: 'https://example.com/health', method: 'GET', author: 'Jane Doe' })).toEqual([]);
    expect(secretsOf(undefined)).toEqual([]);
    expect(secretsOf(null)).toEqual([]);
    expect(secretsOf(42)).toEqual([]);
    expect(secretsOf({ headers: 'nope' })).toEqual([]);
    const hostile = {
      get token(): string {
        throw new Error('boom');
      },
    };
    expect(() => secretsOf(hostile)).not.toThrow();
  });

  it('lists each secret once', () => {
    expect(secretsOf({ token: 'same-value', headers: { authorization: 'same-value' }, again: { password: 'same-value' } })).toEqual(['same-value']);
  });

  it('stops at a pathological depth instead of overflowing the stack', () => {
    let deep: unknown = { token: 'deep-secret' };
    for (let i = 0; i < 10_000; i++) deep = { next: deep };
    expect(() => secretsOf(deep)).not.toThrow();
  });
});

describe('scrubText', () => {
  it('replaces every occurrence of each secret', () => {
    expect(scrubText('token tok-1234 failed; retry with tok-1234', ['tok-1234'])).toBe(`token ${REDACTED} failed; retry with ${REDACTED}`);
  });

  it('replaces the trimmed form of a secret with spaces around it', () => {
    expect(scrubText('key=abcd1234.', ['  abcd1234\n'])).toBe(`key=${REDACTED}.`);
  });

  it('replaces the percent-encoded forms (encodeURIComponent, encodeURI, + for spaces)', () => {
    const secret = 'p@ss w/rd?';
    expect(scrubText(`q=${encodeURIComponent(secret)}&x=1`, [secret])).toBe(`q=${REDACTED}&x=1`);
    expect(scrubText(`path ${encodeURI(secret)} end`, [secret])).toBe(`path ${REDACTED} end`);
    expect(scrubText('form=p%40ss+w%2Frd%3F', [secret])).toBe(`form=${REDACTED}`);
  });

  it('replaces percent-encoded forms whatever the case of their hex digits, strictly encoded or mixed', () => {
    const secret = 'pa ss/wörd+1';
    expect(scrubText('x=pa%20ss%2fw%c3%b6rd%2b1&y', [secret])).toBe(`x=${REDACTED}&y`);
    expect(scrubText('x=pa%20ss%2Fw%c3%B6rd%2b1&y', [secret])).toBe(`x=${REDACTED}&y`);
    expect(scrubText('x=pa+ss/w%C3%B6rd%2B1&y', [secret])).toBe(`x=${REDACTED}&y`);
    expect(scrubText('x=pa ss%2Fwörd%2b1&y', [secret])).toBe(`x=${REDACTED}&y`);
    // RFC 3986 strict encoding also encodes !'()*, which encodeURIComponent leaves as they are.
    const marks = "it's(ok)*!";
    expect(scrubText('q=it%27s%28ok%29%2A%21 end', [marks])).toBe(`q=${REDACTED} end`);
    expect(scrubText('q=it%27s%28ok%29%2a%21 end', [marks])).toBe(`q=${REDACTED} end`);
    expect(scrubText("q=it's%28ok)%2A! end", [marks])).toBe(`q=${REDACTED} end`);
    // A secret written percent-encoded is found with its hex digits in either case, and encoded again.
    expect(scrubText('t=ab%2fcd%2Fef, ab%252Fcd%252fef', ['ab%2Fcd%2fef'])).toBe(`t=${REDACTED}, ${REDACTED}`);
  });

  it('replaces JSON-escaped forms: \\uXXXX in either case for non-ASCII and others, \\/ for /', () => {
    const secret = 'pa/wörd-1';
    expect(scrubText('{"e":"pa\\/w\\u00f6rd-1"}', [secret])).toBe(`{"e":"${REDACTED}"}`);
    expect(scrubText('{"e":"pa/w\\u00F6rd-1"}', [secret])).toBe(`{"e":"${REDACTED}"}`);
    expect(scrubText('{"e":"pa\\/wörd-1"}', [secret])).toBe(`{"e":"${REDACTED}"}`);
    expect(scrubText('{"e":"pa\\u002fw\\u00f6rd-1"}', [secret])).toBe(`{"e":"${REDACTED}"}`);
    // Surrogate pairs escaped one unit at a time, and the <>& some encoders escape.
    expect(scrubText('{"e":"k\\ud83d\\uDE00\\u003cx&y"}', ['k\u{1F600}<x&y'])).toBe(`{"e":"${REDACTED}"}`);
    expect(scrubText('{"e":"k\\ud83d\\uDE00<x\\u0026y"}', ['k\u{1F600}<x&y'])).toBe(`{"e":"${REDACTED}"}`);
  });

  it(`replaces base64 forms (standard, URL-safe, padded or not) of secrets of 6 characters or more`, () => {
    const secret = 'b\u00ffab>~b';
    const standard = Buffer.from(secret, 'utf8').toString('base64');
    expect(standard).toBe('YsO/YWI+fmI=');
    for (const form of ['YsO/YWI+fmI=', 'YsO/YWI+fmI', 'YsO_YWI-fmI=', 'YsO_YWI-fmI', 'YsO%2FYWI%2bfmI%3D']) {
      expect(scrubText(`got ${form} back`, [secret])).toBe(`got ${REDACTED} back`);
    }
    expect(scrubText(`got ${Buffer.from('  abcdefgh ').toString('base64')} back`, ['  abcdefgh '])).toBe(`got ${REDACTED} back`);
    expect(scrubText(`got ${Buffer.from('abcdefgh').toString('base64')} back`, ['  abcdefgh '])).toBe(`got ${REDACTED} back`);
    // Shorter secrets: their base64 could be any word.
    const short = Buffer.from('abcde').toString('base64');
    expect(scrubText(`got ${short} back`, ['abcde'])).toBe(`got ${short} back`);
  });

  it('replaces the JSON-escaped form of a secret', () => {
    const secret = 'quo"te\\back';
    expect(scrubText(JSON.stringify({ error: `bad ${secret}` }), [secret])).toBe(`{"error":"bad ${REDACTED}"}`);
  });

  it('replaces overlapping secrets whole, longest first', () => {
    expect(scrubText('xx abcdefgh yy abcd zz', ['abcd', 'abcdefgh'])).toBe(`xx ${REDACTED} yy ${REDACTED} zz`);
    expect(scrubText('xx abcdefgh yy', ['abcdefgh', 'defg'])).toBe(`xx ${REDACTED} yy`);
  });

  it('treats regular-expression metacharacters in a secret literally', () => {
    const secret = 'a.b*c+d?(e)[f]{g}|h^$\\/-';
    expect(scrubText(`before ${secret} after axbbbcd`, [secret])).toBe(`before ${REDACTED} after axbbbcd`);
    expect(scrubText('a.b', ['.*.*'])).toBe('a.b');
  });

  it(`ignores secrets shorter than ${MIN_SECRET_LENGTH} characters`, () => {
    expect(scrubText('a cat sat on a mat', ['a', 'at', 'cat', '   '])).toBe('a cat sat on a mat');
  });

  it('leaves a text without secrets unchanged (the same string)', () => {
    const text = 'GET https://example.com answered HTTP 503 Service Unavailable';
    expect(scrubText(text, [])).toBe(text);
    expect(scrubText(text, ['not-in-text'])).toBe(text);
    expect(scrubText('', ['abcd'])).toBe('');
  });

  it('removes URL userinfo even with no secrets', () => {
    expect(scrubText('Request cannot be constructed from a URL that includes credentials: http://user:s3cret@127.0.0.1:1/x', [])).toBe(
      `Request cannot be constructed from a URL that includes credentials: http://${REDACTED}@127.0.0.1:1/x`,
    );
    expect(scrubText('connect to postgres://admin@db.internal:5432/app failed', [])).toBe(`connect to postgres://${REDACTED}@db.internal:5432/app failed`);
    expect(scrubText('a https://u:p@ss@host/ b', [])).toBe(`a https://${REDACTED}@host/ b`);
    expect(scrubText('two: http://a:b@one.example and ftp://c:d@two.example.', [])).toBe(
      `two: http://${REDACTED}@one.example and ftp://${REDACTED}@two.example.`,
    );
  });

  it('removes a userinfo whose password holds an unencoded /, # or ?, up to the last @ before a space or quote', () => {
    expect(scrubText('connect postgres://bob:pa/ss@db/x failed', [])).toBe(`connect postgres://${REDACTED}@db/x failed`);
    expect(scrubText('mysql://root:pa#ss@db', [])).toBe(`mysql://${REDACTED}@db`);
    expect(scrubText('{"url":"redis://:p?w@r","mail":"a@b"}', [])).toBe(`{"url":"redis://${REDACTED}@r","mail":"a@b"}`);
    expect(scrubText('<ftp://u:x/y@z@host/p> and a@b', [])).toBe(`<ftp://${REDACTED}@host/p> and a@b`);
    expect(scrubText('http://us{er:pw@host/p?q=a@b', [])).toBe(`http://${REDACTED}@host/p?q=a@b`);
  });

  it('does not take a host:port followed by a path or query holding an @ for a userinfo', () => {
    const text = 'GET http://host.example:8080/x?mail=ops@example.com, http://[::1]:80/?u=a@b, https://h/a:b@c, http://h:/p@q failed';
    expect(scrubText(text, [])).toBe(text);
  });

  it('removes URL userinfo in linear time, whatever the text', () => {
    const shapes: ((n: number) => string)[] = [
      (n) => `${'a://'.repeat(n)}@`,
      (n) => 'a://@'.repeat(n),
      (n) => `${'a://x:1/'.repeat(n / 2)}@`,
      (n) => `${'a://x:y/'.repeat(n / 2)} @`,
      (n) => `a://${'x:@/'.repeat(n)}`,
      (n) => `${'a://b'.repeat(n)}:@`,
      (n) => `${'@a://:/?'.repeat(n / 2)}`,
      (n) => `${'a:/'.repeat(n)}@`,
    ];
    for (const shape of shapes) {
      expect(
        growth((text) => {
          scrubText(text, []);
          scrubText(text, ['some-secret']);
        }, shape),
      ).toBeLessThan(12);
    }
  });

  it('removes the user too when the password is a known secret', () => {
    expect(scrubText('GET http://alice:hunter22@host/', ['hunter22'])).toBe(`GET http://${REDACTED}@host/`);
  });

  it('leaves @ that are not URL userinfo alone', () => {
    const text = '{"url":"http://host.example/path","owner":"ops@example.com"} mail me@example.com, see http://host/a@b';
    expect(scrubText(text, [])).toBe(text);
  });

  it('handles many secrets', () => {
    const secrets = Array.from({ length: 500 }, (_, i) => `secret-${String(i).padStart(4, '0')}`);
    const text = secrets.filter((_, i) => i % 7 === 0).join(' | ');
    const scrubbed = scrubText(text, secrets);
    expect(scrubbed).not.toMatch(/secret-\d{4}/);
    expect(scrubbed.split(' | ').every((part) => part === REDACTED)).toBe(true);
  });

  it('never throws, whatever it is given', () => {
    expect(scrubText('text @ here', ['\ud800lone-surrogate'])).toBe('text @ here');
    expect(scrubText('abc\ud800lone-surrogate', ['\ud800lone-surrogate'])).toBe(`abc${REDACTED}`);
    expect(scrubText('keep me', null as unknown as string[])).toBe('keep me');
    expect(scrubText('keep me 1234', [1234, undefined] as unknown as string[])).toBe('keep me 1234');
  });

  it('is fast with no secrets and no @ (runs on every failed run)', () => {
    const text = 'x'.repeat(4096);
    for (let i = 0; i < 10_000; i++) scrubText(text, []);
    // Linear on a long text with @ and long words (no backtracking blow-up).
    const long = (n: number): string => `${'a'.repeat(n)}@${'b'.repeat(n)}://${'c'.repeat(n)}`;
    expect(scrubText(long(100_000), [])).toBe(long(100_000));
    expect(
      growth(
        (text) => scrubText(text, []),
        (n) => long(n * 4),
      ),
    ).toBeLessThan(12);
  });
});

describe('Redactor', () => {
  it('scrubs with the secrets of the args, and is the same instance for the same args object', () => {
    const args = { url: 'https://svc:pw-123456@api.example.com/', headers: { authorization: 'Bearer tok-abcdef' } };
    const redactor = Redactor.of(args);
    expect(Redactor.of(args)).toBe(redactor);
    expect(Redactor.of({ ...args })).not.toBe(redactor);
    expect(redactor.scrub('got 401 for Bearer tok-abcdef from tok-abcdef, pw-123456 wrong')).toBe(
      `got 401 for ${REDACTED} from ${REDACTED}, ${REDACTED} wrong`,
    );
    expect(redactor.scrub('nothing here')).toBe('nothing here');
  });

  it('scrubs a number header value', () => {
    expect(Redactor.of({ headers: { 'X-Api-Key': 123456789012 } }).scrub('key 123456789012 refused')).toBe(`key ${REDACTED} refused`);
  });

  it('still removes URL userinfo for args without secrets, or no args', () => {
    expect(Redactor.of(undefined).scrub('http://a:b@h/')).toBe(`http://${REDACTED}@h/`);
    expect(Redactor.of({ message: 'hi' }).secrets).toEqual([]);
  });
});

describe('redactArgs (args shown in the audit trail)', () => {
  it('replaces secret fields, header values and URL userinfo, and the secrets wherever else they appear; keeps the rest', () => {
    const args = {
      url: 'https://bob:hunter22@example.com/path',
      headers: { Authorization: 'Bearer abcdef123', Accept: 'application/json' },
      credentials: { user: 'alice', key: 'k-123456' },
      apiKey: 'zzzz-9999',
      body: 'token was zzzz-9999',
      items: [1, true, null, 'plain'],
      retries: 3,
    };
    expect(redactArgs(args)).toEqual({
      url: `https://${REDACTED}@example.com/path`,
      headers: { Authorization: REDACTED, Accept: REDACTED },
      credentials: { user: REDACTED, key: REDACTED },
      apiKey: REDACTED,
      body: `token was ${REDACTED}`,
      items: [1, true, null, 'plain'],
      retries: 3,
    });
    expect(args.apiKey).toBe('zzzz-9999'); // a copy: the args themselves are not changed
    expect(redactArgs('just text')).toBe('just text');
    expect(redactArgs(null)).toBeNull();
  });
});
