/**
 * URL userinfo (`scheme://user:password@host`) found in free text: where each one is, and the text with
 * each replaced. The scan is linear in the text: a scheme starts only at the start of a word, and each
 * position is read by at most one attempt.
 */

/**
 * The start of a URL: `scheme://`. The look-behind starts a scheme only at the start of a word, so every
 * character is read by at most one attempt (the scan stays linear).
 */
const SCHEME = /(?<![a-zA-Z0-9+.-])[a-zA-Z][a-zA-Z0-9+.-]*:\/\//g;

/**
 * The characters RFC 3986 allows in a userinfo, and `@` (the last `@` of the authority ends it, as URL
 * parsers read it), `[` and `]` (so that `http://user:[redacted]@host`, a password already replaced,
 * loses its user too).
 */
const USERINFO_CHARS = asciiSet(/[A-Za-z0-9\-._~%!$&'()*+,;=:@[\]]/);

/** What ends the text a URL may span: whitespace, quotes, `<` and `>`. */
const URL_END = /[\s"'`<>]/;
const URL_END_CHARS = asciiSet(URL_END);

/** What ends a URL's authority: `/`, `?`, `#`. */
const AUTHORITY_END_CHARS = asciiSet(/[/?#]/);

/** The ASCII characters a one-character pattern matches, as a table by character code. */
function asciiSet(pattern: RegExp): Uint8Array {
  const set = new Uint8Array(128);
  for (let code = 0; code < 128; code++) if (pattern.test(String.fromCharCode(code))) set[code] = 1;
  return set;
}

/** Whether a character ends a URL's span: one of {@link URL_END} (tested as a pattern beyond ASCII). */
function isUrlEnd(code: number): boolean {
  return code < 128 ? URL_END_CHARS[code] === 1 : URL_END.test(String.fromCharCode(code));
}

/** A host with an optional port of digits only: `host`, `host:8080`, `[::1]:80`, `host:`. */
const HOST_PORT = /^(?:\[[^\]]*\]|[^:[\]]*)(?::\d*)?$/;

/**
 * The userinfo of every URL in a text, as `[start, end)` index pairs (`end` is the index of its `@`):
 * - after `scheme://`, the userinfo characters RFC 3986 allows, up to the last `@` they reach
 *   (`https://u:p@ss@host/` -> `u:p@ss`);
 * - failing that, when the authority (up to the first `/`, `?` or `#`) holds an `@`: up to its last `@`
 *   (a userinfo with characters RFC 3986 does not allow, `http://us{er:pw@host`);
 * - failing that, when the authority is not a host and port of digits (`postgres://bob:pa/ss@db/x`,
 *   `redis://:p?w@r`, but not `http://host:8080/?mail=a@b`): up to the last `@` before whitespace, a quote,
 *   `<`, `>` or the end of the text, a password with an unencoded `/`, `?` or `#`.
 * Text without `scheme://` is never read as a userinfo, nor is an `@` after a space or quote. Linear time:
 * what is scanned ahead (the end of the span, the next `@`, the next `/?#`) is remembered for the next URL.
 */
export function userinfoSpans(text: string): Array<readonly [number, number]> {
  const spans: Array<readonly [number, number]> = [];
  if (!text.includes('@')) return spans;
  const length = text.length;
  const scheme = new RegExp(SCHEME.source, 'g');
  // Scanned ahead: the end of the span (URL_END) from some position, and the last @ before it; the next
  // @ and the next /?# at or after some position.
  let spanEnd = -1;
  let spanLastAt = -1;
  let nextAt = -1;
  let nextBreak = -1;
  for (let match = scheme.exec(text); match !== null; match = scheme.exec(text)) {
    const start = match.index + match[0].length;
    // RFC 3986 userinfo: the last @ in the run of userinfo characters, with something before it.
    let i = start;
    let end = -1;
    for (; i < length && USERINFO_CHARS[text.charCodeAt(i)] === 1; i++) {
      if (text.charCodeAt(i) === 0x40 && i > start && text.charCodeAt(i - 1) !== 0x40) end = i;
    }
    if (end < 0) {
      if (start >= spanEnd) {
        spanLastAt = -1;
        for (spanEnd = start; spanEnd < length && !isUrlEnd(text.charCodeAt(spanEnd)); spanEnd++) {
          if (text.charCodeAt(spanEnd) === 0x40) spanLastAt = spanEnd;
        }
      }
      if (spanLastAt <= start) continue;
      if (nextAt < start) for (nextAt = start; nextAt < length && text.charCodeAt(nextAt) !== 0x40; nextAt++);
      if (nextBreak < start) for (nextBreak = start; nextBreak < length && AUTHORITY_END_CHARS[text.charCodeAt(nextBreak)] !== 1; nextBreak++);
      const authorityEnd = Math.min(nextBreak, spanEnd);
      if (nextAt < authorityEnd) {
        end = nextAt;
        for (let j = nextAt + 1; j < authorityEnd; j++) if (text.charCodeAt(j) === 0x40) end = j;
      } else {
        const authority = text.slice(start, authorityEnd);
        if (!authority.includes(':') || HOST_PORT.test(authority)) continue;
        end = spanLastAt;
      }
      if (end <= start) continue;
    }
    spans.push([start, end]);
    scheme.lastIndex = end + 1;
  }
  return spans;
}

/** `text` with the userinfo of every URL replaced with `replacement`. */
export function stripUserinfo(text: string, replacement: string): string {
  const spans = userinfoSpans(text);
  if (spans.length === 0) return text;
  let out = '';
  let last = 0;
  for (const [start, end] of spans) {
    out += `${text.slice(last, start)}${replacement}`;
    last = end;
  }
  return out + text.slice(last);
}
