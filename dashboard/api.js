// The HTTP API client: every call goes to /api/v1 (relative to the page, so a reverse proxy may mount the
// server under a path), carries the API key from sessionStorage, and sends JSON with the Content-Type the
// server requires for mutations. A 401 asks the user for a key (one prompt shared by concurrent calls)
// and retries.

const KEY_STORAGE = 'tickwork.apiKey';
const BASE = new URL('api/v1/', document.baseURI);

/** An error answer of the API: `{ error: { code, message, details? } }` with its HTTP status. */
export class ApiError extends Error {
  constructor(status, error) {
    super(error?.message ?? `HTTP ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.code = error?.code ?? 'HTTP_ERROR';
    this.details = error?.details ?? [];
  }
}

let keyPrompt = async () => {
  throw new Error('no key prompt installed');
};
let pendingKey = null;

/** Installs the function that asks the user for a key: `(message) => Promise<string>`. */
export function setKeyPrompt(prompt) {
  keyPrompt = prompt;
}

export function storedKey() {
  return sessionStorage.getItem(KEY_STORAGE);
}

export function forgetKey() {
  sessionStorage.removeItem(KEY_STORAGE);
}

/** Asks for a key (once, however many calls are waiting) and stores it. */
export function requestKey(message) {
  pendingKey ??= keyPrompt(message)
    .then((key) => sessionStorage.setItem(KEY_STORAGE, key))
    .finally(() => {
      pendingKey = null;
    });
  return pendingKey;
}

export function authHeaders() {
  const key = storedKey();
  return key === null ? {} : { authorization: `Bearer ${key}` };
}

export function apiUrl(path) {
  return new URL(path.replace(/^\//, ''), BASE);
}

/**
 * Calls the API and resolves with the parsed JSON (undefined for 204). Rejects with ApiError for error
 * answers, other than 401, which prompts for a key and tries again.
 */
export async function api(method, path, body) {
  for (;;) {
    const headers = { accept: 'application/json', ...authHeaders() };
    const init = { method, headers, cache: 'no-store' };
    if (method !== 'GET' && method !== 'HEAD') {
      headers['content-type'] = 'application/json';
      init.body = JSON.stringify(body ?? {});
    }
    const response = await fetch(apiUrl(path), init);
    if (response.status === 204) return undefined;
    const text = await response.text();
    let json;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      // A proxy's HTML error page, say: report the status rather than a parse error.
      json = undefined;
    }
    if (response.ok) return json;
    const error = new ApiError(response.status, json?.error);
    if (response.status !== 401) throw error;
    await requestKey(error.message);
  }
}

export const get = (path) => api('GET', path);
export const post = (path, body) => api('POST', path, body);
export const patch = (path, body) => api('PATCH', path, body);
export const del = (path) => api('DELETE', path);

/** Path segment for a job id (ids are restricted to URL-safe characters, but encode anyway). */
export const jobPath = (id) => `jobs/${encodeURIComponent(id)}`;
