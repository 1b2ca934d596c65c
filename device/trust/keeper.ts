// The trust data the device decides with, and the one writer of it. Every bundle, revocation file and freshness
// statement enters through `accept()`, whoever brings it (the trust files named in the config at start, the sync
// client later): it is verified against the pinned root and applied in one store transaction (apply.ts), the cached
// `TrustState` is rebuilt, and the listeners (the runtime) are told. The sync client's activity (online, errors,
// drift) is reported here too, so the runtime and the status page read one SyncState.
import { readFile } from 'node:fs/promises';
import { decodePublicKey } from '../../protocol/index.js';
import type { Clock } from '../../common/clock.js';
import { nowSeconds } from '../../common/clock.js';
import type { TrustState } from '../decide.js';
import { STATE_KEYS } from '../store/types.js';
import { applyBundleBytes, applyFreshnessBytes, applyRevocationBytes, signedDataAt } from './apply.js';
import type { ApplyContext, ApplyResult, Artefact } from './apply.js';
import { readEnrolment } from './enrolment.js';
import { applyDeltaPages, type FetchPage } from './delta-pages.js';
import { applyDeltaStaged, STAGED_DELTA_BYTES } from './delta-staged.js';
import { applyPartitioned, type FetchPartition } from './partitions.js';
import type { SyncActivity, SyncState, TrustFigures, TrustLogger, TrustStore } from './types.js';

export type TrustFileReason = 'UNREADABLE' | 'NO_ROOT_KEY' | 'REJECTED';

export class TrustFileError extends Error {
  override readonly name = 'TrustFileError';
  constructor(
    readonly code: TrustFileReason,
    message: string,
  ) {
    super(message);
  }
}

/** What changed: new trust data (with the artefact), the sync client's online/error/drift, or the sunset wipe. */
export type TrustChange =
  | { readonly cause: 'data'; readonly artefact: Artefact; readonly figures: TrustFigures }
  | { readonly cause: 'sync'; readonly sync: SyncState }
  | { readonly cause: 'sunset' };

export type TrustListener = (change: TrustChange) => void;

/** The one entry point for trust data, as the sync client sees it. */
export interface TrustSink {
  /** Verify and apply `bytes` in one transaction; a rejected artefact changes nothing. */
  accept(artefact: Artefact, bytes: Uint8Array): ApplyResult;
  /** Record the sync client's activity; listeners hear of changes of online, error or drift. */
  reportSync(patch: Partial<SyncActivity>): void;
  figures(): TrustFigures;
  syncState(): SyncState;
}

export class TrustKeeper implements TrustSink {
  private cached: TrustState = { bundle: null, trustDataAt: null, clockFloor: 0, sunsetReached: false };
  private seq = 0;
  private activity: SyncActivity;
  private readonly listeners: TrustListener[] = [];
  /** The newest signed time in the store when this keeper opened it (from before this boot), or null. */
  readonly heldAtStart: number | null;

  constructor(
    private readonly store: TrustStore,
    private readonly clock: Clock,
    private readonly log: TrustLogger,
    /** Root public key from the config (base64url), used when the store holds no enrolment. */
    private readonly configuredRoot: string | null,
    listener?: TrustListener,
  ) {
    if (listener) this.listeners.push(listener);
    // The one writer of trust data starts by undoing a revocation update a crash left half staged (never visible).
    if (store.recoverRevocationStage()) log.warn({}, 'a revocation update left unfinished by a crash was undone');
    const lastSync = Number(store.getState(STATE_KEYS.lastSyncAt));
    const enrolment = readEnrolment(store);
    this.activity = {
      enrolled: enrolment !== null,
      deviceId: enrolment?.deviceId ?? null,
      online: false,
      lastSyncAt: Number.isFinite(lastSync) && lastSync > 0 ? lastSync : null,
      lastAttemptAt: null,
      clockDriftSeconds: null,
      lastError: null,
      consecutiveFailures: 0,
      nextPollAt: null,
    };
    this.refresh();
    this.heldAtStart = this.cached.trustDataAt;
  }

  state(): TrustState {
    return this.cached;
  }

  figures(): TrustFigures {
    const b = this.cached.bundle;
    return {
      trustDataAt: this.cached.trustDataAt,
      bundleVersion: b?.version ?? null,
      revocationSeq: b ? this.seq : null,
      sunset: b?.sunset ?? null,
      maxOfflineAgeSeconds: b?.policy.maxOfflineAgeSeconds ?? null,
    };
  }

  syncState(): SyncState {
    return { ...this.activity, ...this.figures() };
  }

  /** Listen to changes; returns a function that stops listening. */
  subscribe(listener: TrustListener): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  /** The pinned root key: the enrolment's, else the store's state, else the config's; null when none. */
  rootPublicKey(): Uint8Array | null {
    const enrolled = readEnrolment(this.store)?.rootPublicKey;
    if (enrolled !== undefined) return enrolled;
    const text = this.store.getState(STATE_KEYS.rootPublicKey) ?? this.configuredRoot;
    return text === null ? null : decodePublicKey(text);
  }

  /** Load signed bundle and revocation files (start-up). Older or equal versions than held are "unchanged". */
  async loadFiles(bundleFile: string | null, revocationsFile: string | null): Promise<ApplyResult[]> {
    if (this.cached.sunsetReached) {
      this.log.warn({}, 'sunset passed and data wiped: trust files are not loaded');
      return [];
    }
    const results: ApplyResult[] = [];
    const files: [string | null, Artefact][] = [
      [bundleFile, 'bundle'],
      [revocationsFile, 'revocations'],
    ];
    for (const [file, artefact] of files) {
      if (file === null) continue;
      let bytes: Uint8Array;
      try {
        bytes = new Uint8Array(await readFile(file));
      } catch (err) {
        throw new TrustFileError(
          'UNREADABLE',
          `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
        );
      }
      const result = this.accept(artefact, bytes);
      if (result.kind === 'rejected') {
        if (result.reason !== 'VERSION_ROLLBACK') {
          throw new TrustFileError('REJECTED', `${file}: ${result.artefact} rejected (${result.reason})`);
        }
        this.log.info({ file, artefact: result.artefact }, 'the store already holds newer data than this file');
      }
      results.push(result);
    }
    return results;
  }

  /**
   * Verify (pinned root; version or sequence only rising; a freshness statement must name the data held) and
   * apply in one store transaction, raise the clock floor, and make the pipeline decide with the new data from
   * the next frame. Throws TrustFileError NO_ROOT_KEY when there is no root to verify with.
   */
  accept(artefact: Artefact, bytes: Uint8Array): ApplyResult {
    const root = this.rootPublicKey();
    if (root === null)
      throw new TrustFileError('NO_ROOT_KEY', 'no root public key: enrol the device or set trust.rootPublicKey');
    const ctx = { store: this.store, rootPublicKey: root, nowSeconds: nowSeconds(this.clock), log: this.log };
    const apply = APPLY[artefact];
    const result = this.store.transaction(() => apply(ctx, bytes));
    if (result.kind === 'applied') {
      this.refresh();
      this.emit({ cause: 'data', artefact, figures: this.figures() });
    }
    return result;
  }

  /**
   * A revocation delta or snapshot as the sync client receives it: up to STAGED_DELTA_BYTES through accept() (one
   * transaction), a larger delta verified in a worker thread and staged in short transactions while decisions go on
   * with the list held, then published in one (delta-staged.ts). Either way all or nothing.
   */
  async acceptRevocations(bytes: Uint8Array): Promise<ApplyResult> {
    if (bytes.length <= STAGED_DELTA_BYTES) return this.accept('revocations', bytes);
    const ctx = this.context();
    const result = await applyDeltaStaged(ctx, bytes);
    if (result === 'snapshot') return this.accept('revocations', bytes);
    if (result.kind === 'applied') {
      this.refresh();
      this.emit({ cause: 'data', artefact: 'revocations', figures: this.figures() });
    }
    return result;
  }

  /**
   * A change sent as delta pages (docs/sync.md): page 0 (`first`) and the others fetched by `fetchPage`, each
   * verified and staged while decisions go on with the list held, published in one when every page is in; a refused
   * page undoes it all (and a failed fetch, which is thrown).
   */
  async acceptDeltaPages(first: Uint8Array, fetchPage: FetchPage): Promise<ApplyResult> {
    const result = await applyDeltaPages(this.context(), first, fetchPage);
    if (result.kind === 'applied') {
      this.refresh();
      this.emit({ cause: 'data', artefact: 'revocations', figures: this.figures() });
    }
    return result;
  }

  private context(): ApplyContext {
    const root = this.rootPublicKey();
    if (root === null)
      throw new TrustFileError('NO_ROOT_KEY', 'no root public key: enrol the device or set trust.rootPublicKey');
    return { store: this.store, rootPublicKey: root, nowSeconds: nowSeconds(this.clock), log: this.log };
  }

  /**
   * A partitioned list (docs/sync.md): verify the manifest and each changed partition it names (fetched by
   * `fetchPartition`), staged in short store transactions while decisions go on with the list held, then published
   * in one; a rejected one (or a failed fetch, which is thrown) changes nothing.
   */
  async acceptPartitioned(manifest: Uint8Array, fetchPartition: FetchPartition): Promise<ApplyResult> {
    const result = await applyPartitioned(this.context(), manifest, fetchPartition);
    if (result.kind === 'applied') {
      this.refresh();
      this.emit({ cause: 'data', artefact: 'revocations', figures: this.figures() });
    }
    return result;
  }

  /**
   * Record the sync client's activity. Online/offline only: the data's age counts from signed data (accept),
   * never from an answer. Listeners hear of it when online, the error or the drift changed, not on quiet polls.
   */
  reportSync(patch: Partial<SyncActivity>): void {
    const before = this.activity;
    this.activity = { ...before, ...patch };
    const after = this.activity;
    if (after.lastSyncAt !== null && after.lastSyncAt !== before.lastSyncAt) {
      this.store.setState(STATE_KEYS.lastSyncAt, String(after.lastSyncAt));
    }
    if (
      after.online !== before.online ||
      after.lastError !== before.lastError ||
      after.clockDriftSeconds !== before.clockDriftSeconds
    ) {
      this.emit({ cause: 'sync', sync: this.syncState() });
    }
  }

  /** Mark the sunset reached and wipe the store (events, hashes, revocations, trust data). */
  sunset(): void {
    if (this.cached.sunsetReached && this.store.getState(STATE_KEYS.wipedAt) !== null) return;
    this.store.wipe();
    this.log.warn({}, 'sunset reached: every pass is refused; events, hashes, revocations and trust data wiped');
    this.refresh();
    this.emit({ cause: 'sunset' });
  }

  /** Read the store into the cached state (at construction and after every change made here). */
  private refresh(): void {
    const held = this.store.getBundle();
    const rev = this.store.revocationInfo();
    const wiped = this.store.getState(STATE_KEYS.wipedAt) !== null;
    let floor = this.store.clockFloor();
    // The floor rises with the newest signed data (apply.ts raises it too; this covers a store written by an older version).
    if (held && held.bundle.issuedAt > floor) floor = this.store.raiseClockFloor(held.bundle.issuedAt);
    if (rev.issuedAt !== null && rev.issuedAt > floor) floor = this.store.raiseClockFloor(rev.issuedAt);
    // From signed data only: a freshness statement naming the held data, else the signed issue times.
    const trustDataAt = signedDataAt(this.store);
    this.seq = this.store.revocationSeq();
    this.cached = { bundle: held?.bundle ?? null, trustDataAt, clockFloor: floor, sunsetReached: wiped };
  }

  private emit(change: TrustChange): void {
    for (const l of [...this.listeners]) {
      try {
        l(change);
      } catch (err) {
        this.log.error({ err: err instanceof Error ? err.message : String(err) }, 'trust listener failed');
      }
    }
  }
}

const APPLY = {
  bundle: applyBundleBytes,
  revocations: applyRevocationBytes,
  freshness: applyFreshnessBytes,
} as const satisfies Record<Artefact, (ctx: Parameters<typeof applyBundleBytes>[0], bytes: Uint8Array) => ApplyResult>;
