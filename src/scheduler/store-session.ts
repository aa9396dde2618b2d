/**
 * The store's session: opened once, on first use (start() or any call before it), with the context the
 * scheduler gives it; closed at shutdown, after which the next use opens it again.
 */
import type { JobStore, StoreContext } from '../stores/store.js';
import type { RunState } from './run-state.js';

export class StoreSession {
  private opening: Promise<void> | null = null;

  constructor(
    private readonly store: JobStore,
    private readonly runState: RunState,
    private readonly context: StoreContext,
    /** Called once the store has opened, before anything waiting for it goes on. */
    private readonly opened: () => void,
    /** Reads what else lives with the jobs (the exclusion calendars) before the store counts as ready. */
    private readonly load: () => Promise<void> = async () => undefined,
  ) {}

  /** Opens the store on first use. Nothing to wait for once it is open: no await then (see SchedulerService.addValidated). */
  ready(): Promise<void> | undefined {
    return this.runState.storeReady ? undefined : this.open();
  }

  open(): Promise<void> {
    this.opening ??= Promise.resolve(this.store.open(this.context))
      // The store opened but what lives with it could not be read: closed again, so the next use opens it afresh.
      .then(() =>
        this.load().catch(async (error: unknown) => {
          await Promise.resolve(this.store.close()).catch(() => undefined);
          throw error;
        }),
      )
      .then(
        () => {
          this.runState.storeReady = true;
          this.opened();
        },
        (error: unknown) => {
          this.opening = null;
          throw error;
        },
      );
    return this.opening;
  }

  /** Writes what the store buffered and closes it. */
  async close(): Promise<void> {
    try {
      await this.store.flush();
      await this.store.close();
    } finally {
      this.opening = null;
      this.runState.storeReady = false;
    }
  }
}
