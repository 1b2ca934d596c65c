// The trust data the device decides with, and the seam through which new data arrives. At start the runtime
// loads the bundle and revocation files named in the config; later the sync client hands over what it
// downloads through the same `TrustSeam`. Everything is verified against the pinned root before it is stored
// (device/sync/apply.ts), and the cached `TrustState` is rebuilt after every change.
import { readFile } from 'node:fs/promises';
import { decodePublicKey } from '../protocol/index.js';
import type { Clock } from './clock.js';
import { nowSeconds } from './clock.js';
import type { TrustState } from './decide.js';
import type { Logger } from './log.js';
import type { DeviceStore } from './store/types.js';
import { STATE_KEYS } from './store/types.js';
import { applyBundleBytes, applyRevocationBytes, signedDataAt } from './sync/apply.js';
import type { ApplyResult } from './sync/apply.js';
import { readEnrolment } from './sync/enrolment.js';

/** A sync attempt's outcome as the sync client reports it. */
export interface SyncReport {
  /** True when the server answered and everything it sent verified (informational: does not make data fresh). */
  readonly ok: boolean;
  /** Reason code of a failure (network, HTTP status, protocol reason), null or absent on success. */
  readonly error?: string | null;
  /** Server clock minus local clock, seconds, when measured. */
  readonly clockDriftSeconds?: number | null;
}

/**
 * The seam the sync client calls. `putBundle` / `putRevocations` verify (pinned root, version or sequence only
 * rising), store, raise the clock floor and make the pipeline decide with the new data from the next frame;
 * a rejected artefact changes nothing. `reportSync` records online/offline only: the data's age counts from signed
 * data (a verified freshness statement naming the held data, else the signed issue times), never from an answer.
 */
export interface TrustSeam {
  putBundle(bytes: Uint8Array): ApplyResult;
  putRevocations(bytes: Uint8Array): ApplyResult;
  reportSync(report: SyncReport): void;
  /** Call after writing to the store directly (e.g. through device/sync/apply.ts) so the runtime re-reads it. */
  trustChanged(): void;
}

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

export interface SyncState {
  readonly online: boolean;
  readonly lastError: string | null;
  readonly clockDriftSeconds: number | null;
}

export class TrustKeeper implements TrustSeam {
  private cached: TrustState = { bundle: null, trustDataAt: null, clockFloor: 0, sunsetReached: false };
  private sync: SyncState = { online: false, lastError: null, clockDriftSeconds: null };

  constructor(
    private readonly store: DeviceStore,
    private readonly clock: Clock,
    private readonly log: Logger,
    /** Root public key from the config (base64url), used when the store holds no enrolment. */
    private readonly configuredRoot: string | null,
    private readonly onChange: () => void = () => {},
  ) {
    this.refresh();
  }

  state(): TrustState {
    return this.cached;
  }

  syncState(): SyncState {
    return this.sync;
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
      this.log.warn('sunset passed and data wiped: trust files are not loaded');
      return [];
    }
    const results: ApplyResult[] = [];
    const files: [string | null, (bytes: Uint8Array) => ApplyResult][] = [
      [bundleFile, (b) => this.putBundle(b)],
      [revocationsFile, (b) => this.putRevocations(b)],
    ];
    for (const [file, put] of files) {
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
      const result = put(bytes);
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

  putBundle(bytes: Uint8Array): ApplyResult {
    return this.apply('bundle', bytes);
  }

  putRevocations(bytes: Uint8Array): ApplyResult {
    return this.apply('revocations', bytes);
  }

  reportSync(report: SyncReport): void {
    this.sync = {
      online: report.ok,
      lastError: report.ok ? null : (report.error ?? 'UNKNOWN'),
      clockDriftSeconds: report.clockDriftSeconds ?? this.sync.clockDriftSeconds,
    };
    this.trustChanged();
  }

  trustChanged(): void {
    this.refresh();
    this.onChange();
  }

  /** Mark the sunset reached and wipe the store (events, hashes, revocations, trust data). */
  sunset(): void {
    if (this.cached.sunsetReached && this.store.getState(STATE_KEYS.wipedAt) !== null) return;
    this.store.wipe();
    this.log.warn('sunset reached: every pass is refused; events, hashes, revocations and trust data wiped');
    this.trustChanged();
  }

  /** Re-read the store into the cached state. */
  refresh(): void {
    const held = this.store.getBundle();
    const rev = this.store.revocationInfo();
    const wiped = this.store.getState(STATE_KEYS.wipedAt) !== null;
    let floor = this.store.clockFloor();
    // The floor rises with the newest signed data (apply.ts raises it too; this covers data stored by other paths).
    if (held && held.bundle.issuedAt > floor) floor = this.store.raiseClockFloor(held.bundle.issuedAt);
    if (rev.issuedAt !== null && rev.issuedAt > floor) floor = this.store.raiseClockFloor(rev.issuedAt);
    // From signed data only: a freshness statement naming the held data, else the signed issue times.
    const trustDataAt = signedDataAt(this.store);
    this.cached = { bundle: held?.bundle ?? null, trustDataAt, clockFloor: floor, sunsetReached: wiped };
  }

  private apply(artefact: 'bundle' | 'revocations', bytes: Uint8Array): ApplyResult {
    const root = this.rootPublicKey();
    if (root === null)
      throw new TrustFileError('NO_ROOT_KEY', 'no root public key: enrol the device or set trust.rootPublicKey');
    const ctx = { store: this.store, rootPublicKey: root, nowSeconds: nowSeconds(this.clock), log: this.log };
    const result = artefact === 'bundle' ? applyBundleBytes(ctx, bytes) : applyRevocationBytes(ctx, bytes);
    if (result.kind === 'applied') this.trustChanged();
    return result;
  }
}
