import { RuntimeMetric } from '../../contract/environment';
import { logger, recordModelTiming, traced } from '../observability';
import { NotFoundError, ServiceUnavailableError } from '../protocol/errors';
import { quote, shorten } from '../protocol/json';
import type { LoadedModel, ModelBackend } from './model-backend';

export interface ModelRegistryOptions {
  /**
   * Clock in milliseconds that times the retry backoff; tests pass their own to step through it without waiting.
   * @default performance.now
   */
  readonly now?: () => number;
  /**
   * The 404 message for a version this registry does not serve, when the process knows why (the local server leaves
   * out the versions a deploy would not serve); undefined keeps the usual message.
   * @default - the usual message, listing the versions served
   */
  readonly unservedVersionMessage?: (model: string, version: string) => string | undefined;
  /**
   * At most this many model versions hold a session at once: loading one more releases the least recently used
   * (its next request loads it again). Every version is still loaded once at startup, so a broken file is reported
   * before any request, and readiness then counts a released version as ready.
   * @default - no limit: every version stays loaded
   */
  readonly maxLoadedModels?: number;
}

/** Loads at once: enough to keep a few worker threads busy, few enough that model files are not all in memory together. */
export const MAX_CONCURRENT_LOADS = 8;

/** Wait before the first retry of a failed load. */
export const FIRST_RETRY_DELAY_MS = 1_000;
/** The backoff doubles per consecutive failure up to this: a fixed artifact is picked up within half a minute. */
export const MAX_RETRY_DELAY_MS = 30_000;

/** How long to wait after `failures` consecutive failed loads: 1 s, 2 s, 4 s, ... capped at 30 s. */
export function retryDelayMs(failures: number): number {
  return Math.min(MAX_RETRY_DELAY_MS, FIRST_RETRY_DELAY_MS * 2 ** Math.max(0, failures - 1));
}

/** A model that cannot be loaded right now, and in how many milliseconds the next load attempt is allowed. */
class ModelUnavailable extends Error {
  constructor(
    override readonly cause: Error,
    readonly retryInMs: number,
  ) {
    super(cause.message);
  }
}

/**
 * One model version: its backend and, once loaded, the model. A load in flight is shared by concurrent requests.
 * A failed load is retried, never cached as a failure forever (a transient S3 error, or an artifact fixed by a
 * redeploy, must not poison the execution environment for its whole life), but not before a backoff: every attempt
 * downloads the whole artifact, and a checksum mismatch fails the same way until someone redeploys.
 */
class ModelSlot {
  /** When a request last asked for this version, in registry ticks: the least recent is released first. */
  lastUsed = 0;
  /** Released to make room after a successful load: not loaded, yet ready to load again on its next request. */
  private evicted = false;
  private loaded: LoadedModel | undefined;
  private pending: Promise<LoadedModel> | undefined;
  private failures = 0;
  private lastFailure: { readonly error: Error; readonly retryAt: number } | undefined;

  constructor(
    readonly source: ModelBackend,
    private readonly now: () => number,
    private readonly admit: <T>(load: () => Promise<T>) => Promise<T>,
    private readonly onLoaded: (slot: ModelSlot) => void,
  ) {}

  get isLoaded(): boolean {
    return this.loaded?.isAlive === true;
  }

  /** Loaded, or released to make room after loading fine: a request finds it served either way. */
  get isServable(): boolean {
    return this.isLoaded || (this.evicted && this.lastFailure === undefined);
  }

  /** Releases the session to make room for another model; the next request loads it again. */
  async evict(): Promise<void> {
    if (!this.isLoaded) return;
    this.evicted = true;
    await this.release();
  }

  /** The loaded model; throws ModelUnavailable when it cannot be loaded now. */
  load(): Promise<LoadedModel> {
    if (this.loaded?.isAlive) return Promise.resolve(this.loaded);
    this.loaded = undefined;
    if (this.pending !== undefined) return this.pending;
    const waitMs = this.lastFailure === undefined ? 0 : this.lastFailure.retryAt - this.now();
    if (this.lastFailure !== undefined && waitMs > 0) {
      return Promise.reject(new ModelUnavailable(this.lastFailure.error, waitMs));
    }
    this.pending = this.admit(() => this.loadOnce()).finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  async release(): Promise<void> {
    const loaded = this.loaded;
    this.loaded = undefined;
    await loaded?.release();
  }

  private async loadOnce(): Promise<LoadedModel> {
    const { name, version, location } = this.source;
    const started = performance.now();
    try {
      const loaded = await traced(`## load ${name}`, () => this.source.load());
      const ms = Math.round((performance.now() - started) * 10) / 10;
      logger.info('model loaded', { model: name, version, location, ms });
      recordModelTiming(RuntimeMetric.modelLoadTime, { model: name, version }, ms);
      this.failures = 0;
      this.lastFailure = undefined;
      this.evicted = false;
      this.loaded = loaded;
      this.onLoaded(this);
      return loaded;
    } catch (cause) {
      const error = cause instanceof Error ? cause : new Error(String(cause));
      this.failures += 1;
      const retryInMs = retryDelayMs(this.failures);
      this.lastFailure = { error, retryAt: this.now() + retryInMs };
      logger.error('model load failed', {
        model: name,
        version,
        location,
        failures: this.failures,
        retryInSeconds: retryInMs / 1000,
        error,
      });
      throw new ModelUnavailable(error, retryInMs);
    }
  }
}

/** The models one process serves, by name and version; the highest version of a model serves by default. */
export class ModelRegistry {
  private readonly slots = new Map<string, Map<string, ModelSlot>>();
  private ticks = 0;
  private loadsRunning = 0;
  private readonly loadsWaiting: Array<() => void> = [];

  constructor(
    backends: readonly ModelBackend[],
    private readonly options: ModelRegistryOptions = {},
  ) {
    const max = options.maxLoadedModels;
    if (max !== undefined && !(Number.isInteger(max) && max >= 1)) {
      throw new Error(`maxLoadedModels must be a whole number of at least 1, got ${max}`);
    }
    const now = options.now ?? (() => performance.now());
    const admit = <T>(load: () => Promise<T>) => this.admit(load);
    const onLoaded = (slot: ModelSlot) => this.makeRoomBeside(slot);
    for (const backend of backends) {
      const versions = this.slots.get(backend.name) ?? new Map<string, ModelSlot>();
      versions.set(backend.version, new ModelSlot(backend, now, admit, onLoaded));
      this.slots.set(backend.name, versions);
    }
  }

  /** Model versions holding a session now. */
  get loadedCount(): number {
    return this.allSlots().filter((slot) => slot.isLoaded).length;
  }

  get modelNames(): string[] {
    return [...this.slots.keys()].sort();
  }

  /** Versions of a model, lowest first. */
  versionsOf(name: string): string[] {
    return [...(this.slots.get(name)?.keys() ?? [])].sort((a, b) => Number(a) - Number(b));
  }

  /**
   * The loaded model for a name and optional version. Throws NotFoundError for an unknown model or version and
   * ServiceUnavailableError (503, with the seconds until the next load attempt) when it exists but cannot be loaded
   * right now; the cause is logged when the load fails, never returned to the caller.
   */
  async get(name: string, version?: string): Promise<LoadedModel> {
    const slot = this.slotOf(name, version);
    slot.lastUsed = ++this.ticks;
    try {
      return await slot.load();
    } catch (error) {
      const retryAfterSeconds = error instanceof ModelUnavailable ? Math.max(1, Math.ceil(error.retryInMs / 1000)) : 1;
      throw new ServiceUnavailableError(
        `model ${slot.source.name} version ${slot.source.version} cannot be loaded right now; ` +
          `retry in ${retryAfterSeconds} s`,
        retryAfterSeconds,
      );
    }
  }

  /** The version a request for `name` (and optional `version`) is served by; throws NotFoundError like `get`. */
  servedVersion(name: string, version?: string): string {
    return this.slotOf(name, version).source.version;
  }

  /** Loads a model version if needed and says whether it is ready; throws NotFoundError like `get`. */
  async tryLoad(name: string, version?: string): Promise<boolean> {
    this.slotOf(name, version);
    return this.get(name, version).then(
      () => true,
      () => false,
    );
  }

  /** Every version loaded, or loaded fine and released since to make room (maxLoadedModels). */
  get allLoaded(): boolean {
    return this.allSlots().every((slot) => slot.isServable);
  }

  /**
   * Loads every model version that is not loaded yet, concurrently, and returns the failures instead of throwing,
   * so one broken model does not stop the others from serving. A model within its retry backoff is reported with its
   * last error, without a new attempt.
   */
  async loadAll(): Promise<Array<{ source: ModelBackend; error: Error }>> {
    const slots = this.allSlots().filter((slot) => !slot.isServable);
    const results = await Promise.allSettled(slots.map((slot) => slot.load()));
    return results.flatMap((result, index) => {
      if (result.status === 'fulfilled') return [];
      const reason = result.reason as Error;
      return [{ source: slots[index].source, error: reason instanceof ModelUnavailable ? reason.cause : reason }];
    });
  }

  async release(): Promise<void> {
    await Promise.all(
      [...this.slots.values()].flatMap((versions) => [...versions.values()].map((slot) => slot.release())),
    );
  }

  private allSlots(): ModelSlot[] {
    return [...this.slots.values()].flatMap((versions) => [...versions.values()]);
  }

  /** Runs a load when fewer than MAX_CONCURRENT_LOADS run. */
  private async admit<T>(load: () => Promise<T>): Promise<T> {
    if (this.loadsRunning >= MAX_CONCURRENT_LOADS) {
      await new Promise<void>((resolve) => this.loadsWaiting.push(resolve));
    }
    this.loadsRunning += 1;
    try {
      return await load();
    } finally {
      this.loadsRunning -= 1;
      this.loadsWaiting.shift()?.();
    }
  }

  /** Over maxLoadedModels, releases the least recently used versions other than the one just loaded. */
  private makeRoomBeside(loaded: ModelSlot): void {
    const max = this.options.maxLoadedModels;
    if (max === undefined) return;
    const others = this.allSlots().filter((slot) => slot !== loaded && slot.isLoaded);
    const excess = others.length + 1 - max;
    if (excess <= 0) return;
    others.sort((a, b) => a.lastUsed - b.lastUsed);
    for (const slot of others.slice(0, excess)) {
      void slot
        .evict()
        .catch((error: Error) =>
          logger.error('model release failed', { model: slot.source.name, version: slot.source.version, error }),
        );
    }
  }

  private slotOf(name: string, version?: string): ModelSlot {
    const versions = this.slots.get(name);
    if (versions === undefined) {
      const known = this.modelNames.join(', ') || 'none';
      throw new NotFoundError(`unknown model ${quote(name)}; this endpoint serves: ${known}`);
    }
    const chosen = version ?? this.versionsOf(name).at(-1);
    const slot = chosen === undefined ? undefined : versions.get(chosen);
    if (slot === undefined) {
      throw new NotFoundError(
        (version === undefined ? undefined : this.options.unservedVersionMessage?.(name, version)) ??
          `model "${name}" has no version ${shorten(String(version))}; available versions: ${this.versionsOf(name).join(', ')}`,
      );
    }
    return slot;
  }
}
