/**
 * Runs started on a session and not finished yet, counted so that a release can wait for them: a session released
 * under a run would fail it. A count, not a set of the runs' promises: a long-lived set holding each run's promise
 * made the loaded local server promote ~450 bytes per small request into the old generation (node --trace-gc-nvp),
 * paid for in full collections.
 */
export class RunsInFlight {
  private count = 0;
  private idle: { readonly promise: Promise<void>; readonly resolve: () => void } | undefined;

  start(): void {
    this.count += 1;
  }

  end(): void {
    this.count -= 1;
    if (this.count > 0 || this.idle === undefined) return;
    this.idle.resolve();
    this.idle = undefined;
  }

  /** Resolves once no run started so far is in flight. */
  finished(): Promise<void> {
    if (this.count === 0) return Promise.resolve();
    if (this.idle === undefined) {
      let resolve = () => {};
      const promise = new Promise<void>((settle) => (resolve = settle));
      this.idle = { promise, resolve };
    }
    return this.idle.promise;
  }
}
