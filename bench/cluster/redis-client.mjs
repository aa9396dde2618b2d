// BullMQ 6 ships no Redis client: its ESM build needs an ioredis (or node-redis) instance passed as
// `connection`, and ioredis is only an optional peer dependency, not installed by the project. This finds
// ioredis in the project's node_modules, else in bench/cluster/.deps (not committed), installed with
//   npm install --prefix bench/cluster/.deps --no-package-lock ioredis@5
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export const IOREDIS_HINT =
  'BullMQ 6 needs a Redis client (optional peer dependency ioredis, not installed by the project). ' +
  'Install it outside package.json with: npm install --prefix bench/cluster/.deps --no-package-lock ioredis@5';

export async function loadIORedis() {
  try {
    const m = await import('ioredis');
    return m.default ?? m.Redis ?? m;
  } catch {
    /* not in the project */
  }
  try {
    const req = createRequire(fileURLToPath(new URL('./.deps/package.json', import.meta.url)));
    const m = req('ioredis');
    return m.default ?? m;
  } catch {
    throw new Error(IOREDIS_HINT);
  }
}

export const REDIS = { host: '127.0.0.1', port: 6379 };
