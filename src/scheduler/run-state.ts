/**
 * Where the scheduler is in its life. The facade moves it (start, pause, shutdown, the store opening);
 * the dispatcher reads it at each pass and at each retry it decides.
 */
export type SchedulerState = 'stopped' | 'running' | 'paused' | 'stopping';

export class RunState {
  state: SchedulerState = 'stopped';
  /** The store has opened: calls skip awaiting it (an await per call is measurable at a million adds). */
  storeReady = false;

  /** True between start() and shutdown(), paused or not. */
  get isRunning(): boolean {
    return this.state === 'running' || this.state === 'paused';
  }
}
