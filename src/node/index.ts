/**
 * `tickwork/node`: Tickwork in a plain Node or Express server. attachScheduler ties a scheduler to an
 * `http.Server`'s life; tickworkRouter mounts the HTTP API and dashboard. Neither imports Express.
 */
export { attachScheduler, DEFAULT_SHUTDOWN_TIMEOUT_SECONDS } from './attach.js';
export type { AttachOptions, AttachedScheduler } from './attach.js';
export { tickworkRouter } from './router.js';
export type { TickworkRouter, TickworkRouterOptions } from './router.js';
