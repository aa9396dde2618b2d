/** Picks the job store from TICKWORK_STORE: `memory` today; `sqlite:<path>` and `postgres://…` are on the roadmap. */
import { InvalidArgumentError } from '../scheduler/errors.js';
import type { Logger } from '../scheduler/logger.js';
import { MemoryJobStore } from './memory.js';
import type { JobStore } from './store.js';

export function createStore(spec: string, logger: Logger): JobStore {
  if (spec === 'memory') {
    logger.info({ event: 'store_selected', store: 'memory' }, 'job store: memory (jobs do not survive a restart)');
    return new MemoryJobStore();
  }
  if (spec.startsWith('sqlite:') || spec.startsWith('postgres://') || spec.startsWith('postgresql://')) {
    throw InvalidArgumentError.field('TICKWORK_STORE', `"${spec.split(':')[0]}" stores are not available in this version yet; use TICKWORK_STORE=memory.`);
  }
  throw InvalidArgumentError.field('TICKWORK_STORE', `must be "memory" (later "sqlite:<path>" or "postgres://..."), got "${spec.slice(0, 60)}".`);
}
