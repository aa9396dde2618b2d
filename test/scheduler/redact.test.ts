/** The secret scrubber: which args values are secrets, and how a text is scrubbed of them. */
import { describe, expect, it } from 'vitest';
import { isSecretKey, MIN_SECRET_LENGTH, REDACTED, Redactor, scrubText, secretsOf } from '../../src/scheduler/redact.js';

describe('isSecretKey', () => {
  it.each([
    'token', 'accessToken', 'refresh_token', 'secret', 'clientSecret', 'password', 'db_password', 'DB_PASSWORD', 'passwd',
    'pwd', 'db_pwd', 'authorization', 'Authorization', 'auth', 'basicAuth', 'X-Auth', 'api_key', 'apikey', 'api-key',
    'apiKey', 'X-Api-Key', 'credential', 'credentials', 'cookie', 'Set-Cookie', 'private_key', 'privateKey', 'passphrase',
  ])('%s is secret', (key) => {
    expect(isSecretKey(key)).toBe(true);
  });

  it.each(['url', 'method', 'author', 'authority', 'message', 'key', 'name', 'user', 'username', 'keyboard', 'path'])('%s is not secret', (key) => {
    expect(isSecretKey(key)).toBe(false);
  });
});

describe('secretsOf', () => {
  it('finds the user and password of a URL with userinfo, at any depth', () => {
    expect(secretsOf({ url: 'https://alice:s3cretpw@api.example.com/x' }).sort()).toEqual(['alice', 's3cretpw']);
    expect(secretsOf({ targets: [{ hook: { to: 'http://robot:hunter22@10.0.0.1:8080/' } }] }).sort()).toEqual(['hunter22', 'robot']);
    expect(secretsOf('postgres://admin:pg-pass-1@db/app').sort()).toEqual(['admin', 'pg-pass-1']);
  });

  it('lists a percent-encoded userinfo both as written and decoded', () => {
    const secrets = secretsOf({ url: 'https://bob%40corp:p%40ss%2Fw0rd@example.com/' });
    expect(secrets).toEqual(expect.arrayContaining(['bob%40corp', 'bob@corp', 'p%40ss%2Fw0rd', 'p@ss/w0rd']));
  });

  it('finds a URL with userinfo inside a longer string', () => {
    expect(secretsOf({ command: 'curl', args: ['-s', 'see https://ci:tok-9876@git.example.com/repo.git'] }).sort()).toEqual(['tok-9876']);
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

  it('ignores non-string values, even under secret keys', () => {
    expect(secretsOf({ password: 12345678, token: true, secret: null, apiKey: { n: 1234567 }, headers: { 'X-N': 99999 } })).toEqual([]);
  });

  it('finds nothing in args without secrets, and never throws', () => {
    expect(secretsOf({ url: 'https://example.com/health', method: 'GET', author: 'Jane Doe' })).toEqual([]);
    expect(secretsOf(undefined)).toEqual([]);
    expect(secretsOf(null)).toEqual([]);
    expect(secretsOf(42)).toEqual([]);
    expect(secretsOf({ headers: 'nope' })).toEqual([]);
    const hostile = { get token(): string { throw new Error('boom'); } };
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
    expect(scrubText('Request cannot be constructed from a URL that includes credentials: http://user:s3cret@127.0.0.1:1/x', []))
      .toBe(`Request cannot be constructed from a URL that includes credentials: http://${REDACTED}@127.0.0.1:1/x`);
    expect(scrubText('connect to postgres://admin@db.internal:5432/app failed', [])).toBe(`connect to postgres://${REDACTED}@db.internal:5432/app failed`);
    expect(scrubText('a https://u:p@ss@host/ b', [])).toBe(`a https://${REDACTED}@host/ b`);
    expect(scrubText('two: http://a:b@one.example and ftp://c:d@two.example.', [])).toBe(`two: http://${REDACTED}@one.example and ftp://${REDACTED}@two.example.`);
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
    const long = `${'a'.repeat(100_000)}@${'b'.repeat(100_000)}://${'c'.repeat(100_000)}`;
    const start = performance.now();
    expect(scrubText(long, [])).toBe(long);
    expect(performance.now() - start).toBeLessThan(1000);
  });
});

describe('Redactor', () => {
  it('scrubs with the secrets of the args, and is the same instance for the same args object', () => {
    const args = { url: 'https://svc:pw-123456@api.example.com/', headers: { authorization: 'Bearer tok-abcdef' } };
    const redactor = Redactor.of(args);
    expect(Redactor.of(args)).toBe(redactor);
    expect(Redactor.of({ ...args })).not.toBe(redactor);
    expect(redactor.scrub('got 401 for Bearer tok-abcdef from tok-abcdef, pw-123456 wrong'))
      .toBe(`got 401 for ${REDACTED} from ${REDACTED}, ${REDACTED} wrong`);
    expect(redactor.scrub('nothing here')).toBe('nothing here');
  });

  it('still removes URL userinfo for args without secrets, or no args', () => {
    expect(Redactor.of(undefined).scrub('http://a:b@h/')).toBe(`http://${REDACTED}@h/`);
    expect(Redactor.of({ message: 'hi' }).secrets).toEqual([]);
  });
});
