/**
 * The docs keep up with the code, in the spirit of fastify's test that every error code is documented:
 * every API error code, run error code, event name and metric name the code declares appears in the
 * README; every file the README and docs/*.md point to exists; and every link to a section (a test's
 * `// docs/semantics.md#<section>`, a Markdown `[...](file#section)`) names a heading that exists. A
 * failure lists what is missing.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ERROR_STATUS } from '../src/core/errors.js';
import { EVENT_NAMES } from '../src/core/events.js';
import { RUN_ERROR_CODES } from '../src/core/run-errors.js';
import { createMetrics } from '../src/server/metrics.js';
import { harness } from './helpers.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const read = (path: string): string => readFileSync(join(ROOT, path), 'utf8');

/** Every file under `dir` (relative to the root) whose name ends with `suffix`, recursively. */
function filesUnder(dir: string, suffix: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith(suffix))
    .map((name) => join(dir, name));
}

const README = read('README.md');
const DOCS = ['README.md', ...filesUnder('docs', '.md')];

/** The names that do not appear in the README as code (`NAME`, possibly followed by a label set or text). */
function missingFromReadme(names: readonly string[]): string[] {
  return names.filter((name) => !new RegExp('`' + name + '\\b').test(README));
}

describe('the README documents every name the code declares', () => {
  it('every API error code (ERROR_STATUS)', () => {
    expect(missingFromReadme(Object.keys(ERROR_STATUS))).toEqual([]);
  });

  it('every run error code (RUN_ERROR_CODES)', () => {
    expect(missingFromReadme(Object.keys(RUN_ERROR_CODES))).toEqual([]);
  });

  it('every event name (EVENT_NAMES)', () => {
    expect(missingFromReadme(EVENT_NAMES)).toEqual([]);
  });

  it('every metric the server registers', () => {
    const { scheduler } = harness();
    // Every job opted in: the per-job series are registered too.
    const { registry, close } = createMetrics(scheduler, { jobLabels: 'all' });
    try {
      const names = registry.getMetricsAsArray().map((metric) => metric.name);
      expect(names.length).toBeGreaterThan(0);
      expect(missingFromReadme(names)).toEqual([]);
    } finally {
      close();
    }
  });
});

describe('paths in the docs exist', () => {
  // A path under src/ (a file or a folder), or a file path (with an extension) under the other folders the
  // docs point into; what follows a `<` or `*` (a placeholder, a glob) is cut off by the pattern.
  const PATH = /(?<![\w./-])(?:src|test|docs|examples|bench|dashboard)\/[\w./-]*[\w/]/g;
  const mentioned = (text: string): string[] => [...text.matchAll(PATH)].map((m) => m[0]).filter((path) => path.startsWith('src/') || /\.\w+$/.test(path));

  it.each(DOCS)('%s', (doc) => {
    const missing = [...new Set(mentioned(read(doc)))].filter((path) => !existsSync(join(ROOT, path)));
    expect(missing).toEqual([]);
  });
});

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces as hyphens; a repeated one gets -1, -2 ... */
function anchorsOf(path: string): Set<string> {
  const anchors = new Set<string>();
  for (const m of read(path).matchAll(/^#{1,6} (.+)$/gm)) {
    const base = (m[1] as string)
      .trim()
      .toLowerCase()
      .replace(/[^\w\s-]/g, '')
      .replace(/\s/g, '-');
    let name = base;
    for (let i = 1; anchors.has(name); i++) name = `${base}-${i}`;
    anchors.add(name);
  }
  return anchors;
}

describe('links name sections that exist', () => {
  it('every docs/semantics.md#<section> in tests, sources and docs', () => {
    const sections = anchorsOf('docs/semantics.md');
    const files = [...filesUnder('test', '.ts'), ...filesUnder('src', '.ts'), ...DOCS];
    const broken = files.flatMap((file) =>
      [...read(file).matchAll(/docs\/semantics\.md#([\w-]+)/g)]
        .map((m) => m[1] as string)
        .filter((name) => !sections.has(name))
        .map((name) => `${file}: #${name}`),
    );
    expect(broken).toEqual([]);
  });

  it.each(DOCS)('every Markdown link with an anchor in %s', (doc) => {
    const broken: string[] = [];
    for (const m of read(doc).matchAll(/\]\(([^()\s#]*)#([\w-]+)\)/g)) {
      const target = m[1] === '' ? doc : join(dirname(doc), m[1] as string);
      if (!existsSync(join(ROOT, target)) || !anchorsOf(target).has(m[2] as string)) broken.push(m[0]);
    }
    expect(broken).toEqual([]);
  });
});
