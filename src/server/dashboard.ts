/**
 * The web dashboard: static files from the package's top-level `dashboard/` folder (plain HTML, CSS and
 * browser ES modules, no build step), served at `/` and `/dashboard/<file>`. The files hold no secrets
 * and need no API key; the page sends the key with its calls to /api/v1, where auth.ts applies as usual.
 * Every page answer carries a strict Content-Security-Policy (same origin only, no inline script or style).
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { HttpError } from '../core/errors.js';

/**
 * Resolved from this module, not the working directory: `src/server/` (tests) and `dist/server/` (built or
 * installed package) are both two levels below the package root, where `dashboard/` lives.
 */
export const DASHBOARD_DIR = fileURLToPath(new URL('../../dashboard/', import.meta.url));

export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
};
/** Only flat, lowercase file names with a known type: nothing else in the folder is ever served. */
const SERVABLE = /^[a-z0-9-]+\.(html|js|css|svg)$/;

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

/** Reads the folder once (a few small files); a missing folder is a packaging error reported per request. */
function loadAssets(dir: string): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    // Reported by the routes as a 404 naming the folder, so a broken install is visible but not fatal.
    return assets;
  }
  for (const name of names) {
    const match = SERVABLE.exec(name);
    if (match === null) continue;
    const body = readFileSync(join(dir, name));
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
    assets.set(name, { body, type: TYPES[match[1] as string] as string, etag });
  }
  return assets;
}

export interface DashboardOptions {
  /** The folder to serve (default: the package's `dashboard/`). */
  dir?: string;
}

export async function dashboardRoutes(app: FastifyInstance, options: DashboardOptions = {}): Promise<void> {
  const dir = options.dir ?? DASHBOARD_DIR;
  const assets = loadAssets(dir);

  const send = (name: string, ifNoneMatch: string | undefined, reply: FastifyReply): FastifyReply => {
    const asset = assets.get(name);
    if (asset === undefined) {
      throw new HttpError(
        'ROUTE_NOT_FOUND',
        assets.size === 0 ? `The dashboard files are missing (looked in ${dir}); reinstall the package.` : `No dashboard file "${name}".`,
      );
    }
    reply
      .header('content-security-policy', DASHBOARD_CSP)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .header('x-frame-options', 'DENY')
      // Revalidated on every load (cheap with the ETag), so an upgraded server never serves stale modules.
      .header('cache-control', 'no-cache')
      .header('etag', asset.etag);
    if (ifNoneMatch === asset.etag) return reply.code(304).send();
    return reply.type(asset.type).send(asset.body);
  };

  app.get('/', { schema: { hide: true } }, async (request, reply) => send('index.html', request.headers['if-none-match'], reply));
  app.get<{ Params: { file: string } }>('/dashboard/:file', { schema: { hide: true } }, async (request, reply) =>
    send(request.params.file, request.headers['if-none-match'], reply),
  );
}
