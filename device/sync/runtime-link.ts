// Connects the sync client to the device runtime's trust seam (device/trust.ts): new trust data in the store →
// `trustChanged()`; online/offline and errors → `reportSync()`. Reports are forwarded when the state changes, and
// while all is well whenever the signed data age (trustDataAt) moved on by an eighth of the policy's maximum offline
// age, so the runtime's view of the data's age stays current without re-reading (and re-deciding codes in view) on
// every poll.
import type { SyncClient, SyncState } from './client.js';

/** The part of the runtime's TrustSeam the link calls. */
export interface RuntimeSeam {
  trustChanged(): void;
  reportSync(report: { ok: boolean; error?: string | null; clockDriftSeconds?: number | null }): void;
}

/** The shortest interval between two "still fine" reports, seconds. */
const MIN_REFRESH_SECONDS = 60;

/** Link `client` to `seam`; returns a function that unlinks. */
export function linkToRuntime(client: SyncClient, seam: RuntimeSeam): () => void {
  let last: { ok: boolean; error: string | null; dataAt: number | null } | null = null;
  const report = (s: SyncState): void => {
    if (s.lastAttemptAt === null) return; // no cycle has ended yet
    const ok = s.online && s.lastError === null;
    const refreshEvery = Math.max(MIN_REFRESH_SECONDS, (s.maxOfflineAgeSeconds ?? 0) / 8);
    const refreshDue =
      ok && s.trustDataAt !== null && (last?.dataAt == null || s.trustDataAt - last.dataAt >= refreshEvery);
    if (last && last.ok === ok && last.error === s.lastError && !refreshDue) return;
    last = { ok, error: s.lastError, dataAt: s.trustDataAt };
    seam.reportSync({ ok, error: s.lastError, clockDriftSeconds: s.clockDriftSeconds });
  };
  return client.subscribe({ trustDataChanged: () => seam.trustChanged(), syncState: report });
}
