/**
 * The docs keep up with the code, in the spirit of fastify's test that every error code is documented:
 * every API error code, run error code, event name and metric name the code declares appears in the
 * README; every file the README and docs/*.md point to exists; and every `docs/semantics.md#<section>` a
 * test or doc links to is a section of docs/semantics.md. A failure lists what is missing.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
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
    const { registry, close } = createMetrics(scheduler);
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
  const mentioned = (text: string): string[] =>
    [...text.matchAll(PATH)].map((m) => m[0]).filter((path) => path.startsWith('src/') || /\.\w+$/.test(path));

  it.each(DOCS)('%s', (doc) => {
    const missing = [...new Set(mentioned(read(doc)))].filter((path) => !existsSync(join(ROOT, path)));
    expect(missing).toEqual([]);
  });
});

describe('links to docs/semantics.md name its sections', () => {
  /** GitHub's anchor of a heading: lower case, punctuation dropped, spaces as hyphens. */
  const anchor = (heading: string): string => heading.trim().toLowerCase().replace(/[^\w\s-]/g, '').replace(/\s/g, '-');
  const sections = new Set([...read('docs/semantics.md').matchAll(/^#{2,3} (.+)$/gm)].map((m) => anchor(m[1] as string)));
  const brokenIn = (file: string, link: RegExp): string[] =>
    [...read(file).matchAll(link)].map((m) => m[1] as string).filter((name) => !sections.has(name)).map((name) => `${file}: #${name}`);

  it('every docs/semantics.md#<section> in tests, sources and docs', () => {
    const files = [...filesUnder('test', '.ts'), ...filesUnder('src', '.ts'), ...DOCS];
    expect(files.flatMap((file) => brokenIn(file, /docs\/semantics\.md#([\w-]+)/g))).toEqual([]);
  });

  it('links within docs/ (semantics.md#<section>, and #<section> inside semantics.md)', () => {
    const broken = [
      ...DOCS.filter((file) => file.startsWith('docs')).flatMap((file) => brokenIn(file, /\]\((?:\.\/)?semantics\.md#([\w-]+)\)/g)),
      ...brokenIn('docs/semantics.md', /\]\(#([\w-]+)\)/g),
    ];
    expect(broken).toEqual([]);
  });
});
