/** Malformed and hostile requests get 4xx JSON errors, never a 5xx, and leave existing jobs untouched. */
import type { InjectOptions } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { intervalJob, json, testServer, type TestServer } from './server-helpers.js';

let s: TestServer;
afterEach(async () => {
  await s?.app.close();
});

const post = (payload: string | object): InjectOptions => ({ method: 'POST', url: '/api/v1/jobs', headers: json, payload });

const cases: [string, InjectOptions, number, string, RegExp?][] = [
  ['malformed JSON', post('{"id": "x", '), 400, 'INVALID_ARGUMENT', /not valid JSON/],
  ['a JSON array body', post('[]'), 400, 'INVALID_ARGUMENT'],
  ['a missing trigger', post({ task: 'noop' }), 400, 'INVALID_ARGUMENT', /trigger/],
  ['a wrong type (maxInstances "2")', post({ ...intervalJob('x'), maxInstances: '2' }), 400, 'INVALID_ARGUMENT', /maxInstances/],
  ['a boolean as a string', post({ ...intervalJob('x'), coalesce: 'yes' }), 400, 'INVALID_ARGUMENT', /coalesce/],
  ['an unknown field', post({ ...intervalJob('x'), colour: 'red' }), 400, 'INVALID_ARGUMENT', /body.colour is not an allowed field/],
  ['a huge id', post(intervalJob('x'.repeat(5000))), 400, 'INVALID_ARGUMENT', /body.id/],
  ['an id with a slash', post(intervalJob('a/b')), 400, 'INVALID_ARGUMENT', /body.id/],
  ['a 1 MB body', post({ ...intervalJob('x'), args: { blob: 'x'.repeat(1_100_000) } }), 413, 'PAYLOAD_TOO_LARGE'],
  ['an invalid cron', post({ id: 'x', task: 'noop', trigger: { type: 'cron', expression: '61 * * * *' } }), 400, 'INVALID_TRIGGER', /minute field "61"/],
  [
    'cron L alone in day-of-week',
    post({ id: 'x', task: 'noop', trigger: { type: 'cron', expression: '0 0 * * L' } }),
    400,
    'INVALID_TRIGGER',
    /"L" alone, which is refused/,
  ],
  [
    'cron n#k with k above 5',
    post({ id: 'x', task: 'noop', trigger: { type: 'cron', expression: '0 0 * * MON#6' } }),
    400,
    'INVALID_TRIGGER',
    /n#k needs k from 1 to 5/,
  ],
  [
    'cron n#k with k 0',
    post({ id: 'x', task: 'noop', trigger: { type: 'cron', expression: '0 0 * * 1#0' } }),
    400,
    'INVALID_TRIGGER',
    /n#k needs k from 1 to 5/,
  ],
  [
    'cron 31W in February only',
    post({ id: 'x', task: 'noop', trigger: { type: 'cron', expression: '0 0 31W 2 *' } }),
    400,
    'INVALID_TRIGGER',
    /never matches a real date/,
  ],
  [
    'cron H with a step over its range',
    post({ id: 'x', task: 'noop', trigger: { type: 'cron', expression: 'H(0-5)/9 * * * *' } }),
    400,
    'INVALID_TRIGGER',
    /step 9 is larger/,
  ],
  [
    'an unknown time zone',
    post({ id: 'x', task: 'noop', trigger: { type: 'cron', expression: '0 * * * *', timezone: 'Mars/Base' } }),
    400,
    'INVALID_TRIGGER',
    /Mars\/Base/,
  ],
  ['an unknown trigger field', post({ id: 'x', task: 'noop', trigger: { type: 'interval', seconds: 5, every: 3 } }), 400, 'INVALID_TRIGGER', /trigger.every/],
  ['a negative interval', post({ id: 'x', task: 'noop', trigger: { type: 'interval', seconds: -5 } }), 400, 'INVALID_TRIGGER', /trigger.seconds/],
  ['a date without zone', post({ id: 'x', task: 'noop', trigger: { type: 'date', runAt: '2026-05-01T10:00:00' } }), 400, 'INVALID_TRIGGER', /zone/],
  ['an unknown task', post({ id: 'x', task: 'rm-rf', trigger: { type: 'interval', seconds: 5 } }), 422, 'TASK_NOT_REGISTERED', /GET \/api\/v1\/tasks lists/],
  ['the shell task when it is off', post({ id: 'x', task: 'shell', trigger: { type: 'interval', seconds: 5 } }), 422, 'TASK_NOT_REGISTERED'],
  ['a replacement of an existing id without replaceExisting', post(intervalJob('keep')), 409, 'CONFLICTING_ID'],
  ['a bad limit', { url: '/api/v1/jobs?limit=abc' }, 400, 'INVALID_ARGUMENT', /limit/],
  ['an unknown query field', { url: '/api/v1/jobs?colour=red' }, 400, 'INVALID_ARGUMENT'],
  ['a forged cursor', { url: '/api/v1/jobs?cursor=Zm9v' }, 400, 'INVALID_ARGUMENT', /cursor/],
  ['a bad state filter', { url: '/api/v1/jobs?state=broken' }, 400, 'INVALID_ARGUMENT'],
  ['a PATCH with an unknown field', { method: 'PATCH', url: '/api/v1/jobs/keep', headers: json, payload: { id: 'other' } }, 400, 'INVALID_ARGUMENT'],
  ['a PATCH of a missing job', { method: 'PATCH', url: '/api/v1/jobs/missing', headers: json, payload: { name: 'x' } }, 404, 'JOB_NOT_FOUND'],
  [
    'a preview count over 1000',
    { method: 'POST', url: '/api/v1/schedules/preview', headers: json, payload: { trigger: { type: 'interval', seconds: 1 }, count: 5000 } },
    400,
    'INVALID_ARGUMENT',
  ],
  [
    'a preview of H without a jobId',
    { method: 'POST', url: '/api/v1/schedules/preview', headers: json, payload: { trigger: { type: 'cron', expression: 'H 2 * * *' } } },
    400,
    'INVALID_TRIGGER',
    /no job id was given.*pass jobId/,
  ],
  [
    'a preview with a bad jobId',
    { method: 'POST', url: '/api/v1/schedules/preview', headers: json, payload: { trigger: { type: 'cron', expression: 'H 2 * * *' }, jobId: 'a b' } },
    400,
    'INVALID_ARGUMENT',
    /jobId/,
  ],
  [
    'a preview with a bad from',
    { method: 'POST', url: '/api/v1/schedules/preview', headers: json, payload: { trigger: { type: 'interval', seconds: 1 }, from: 'yesterday' } },
    400,
    'INVALID_TRIGGER',
  ],
  [
    'a __proto__ key (prototype poisoning)',
    post('{"id":"x","task":"noop","trigger":{"type":"interval","seconds":5},"__proto__":{"admin":true}}'),
    400,
    'INVALID_ARGUMENT',
    /prototype/,
  ],
  [
    'a constructor.prototype key',
    post('{"id":"x","task":"noop","trigger":{"type":"interval","seconds":5},"constructor":{"prototype":{"a":1}}}'),
    400,
    'INVALID_ARGUMENT',
  ],
  [
    'a NUL in the args (no store can keep it)',
    post({ ...intervalJob('x'), args: { password: 'secret-value-1', message: 'x\u0000' } }),
    400,
    'INVALID_ARGUMENT',
    /args.message: holds a NUL/,
  ],
  ['an unpaired surrogate in an args key', post({ ...intervalJob('x'), args: { '\ud800': 1 } }), 400, 'INVALID_ARGUMENT', /a key/],
  ['a NUL in the search', { url: '/api/v1/jobs?q=%00' }, 400, 'INVALID_ARGUMENT', /q/],
  ['a control character in the cursor', { url: '/api/v1/jobs?cursor=a%01b' }, 400, 'INVALID_ARGUMENT', /cursor/],
  [
    'an http job with a header value holding a newline',
    post({ id: 'x', task: 'http', args: { url: 'https://example.com', headers: { 'x-a': 'a\r\nx-b: c' } }, trigger: { type: 'interval', seconds: 5 } }),
    400,
    'INVALID_ARGUMENT',
    /headers/,
  ],
  [
    'an http job with a URL that is not http',
    post({ id: 'x', task: 'http', args: { url: 'file:///etc/passwd' }, trigger: { type: 'interval', seconds: 5 } }),
    400,
    'INVALID_ARGUMENT',
    /args.url/,
  ],
];

describe('bad input', () => {
  it.each(cases)('%s -> %i %s', async (_name, request, status, code, message) => {
    s = await testServer();
    await s.scheduler.addJob({ id: 'keep', task: 'noop', trigger: { type: 'interval', seconds: 60 }, args: { n: 1 } });
    const before = await s.scheduler.getJobs();
    const response = await s.app.inject(request);
    expect(response.statusCode).toBe(status);
    const body = response.json();
    expect(body.error.code).toBe(code);
    if (message !== undefined) expect(body.error.message).toMatch(message);
    if (status === 400 && code === 'INVALID_ARGUMENT' && body.error.details !== undefined) {
      expect(body.error.details.length).toBeGreaterThan(0);
    }
    expect(await s.scheduler.getJobs()).toEqual(before);
  });

  it('a preview whose fire times run past the largest Date ends there (200), never a 500', async () => {
    s = await testServer();
    const response = await s.app.inject({
      method: 'POST',
      url: '/api/v1/schedules/preview',
      headers: json,
      payload: { trigger: { type: 'interval', seconds: 10_000_000_000 }, from: '9999-01-01T00:00:00Z', count: 1000 },
    });
    expect(response.statusCode).toBe(200);
    const items = response.json().items as { at: string }[];
    expect(items.length).toBeGreaterThan(100);
    expect(items.length).toBeLessThan(1000);
  });
});
