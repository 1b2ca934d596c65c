// The publish directory: every signed artefact a device downloads, as plain files, so any static host can
// serve them. Written after every change, each file to a temp name and renamed, index.json last.
//
//   bundle.cose                        the newest signed trust bundle
//   revocations/snapshot.cose          the whole current revocation list (kind snapshot, 0 → seq); absent (and
//                                      `snapshot` null) when the list is above MAX_REVOCATION_ENTRIES ids: such a
//                                      list goes to devices in partitions, through the API only (docs/sync.md)
//   revocations/delta-<from>-<to>.cose one file per retained step (to = from + 1); a step above
//                                      MAX_REVOCATION_ENTRIES ids has none (the chain stops before it)
//   freshness.cose                     a signed freshness statement for the current data (also rewritten every
//                                      FRESHNESS_PUBLISH_SECONDS by the server)
//   index.json                         { logId, bundleVersion, revocationSeq, floor, snapshot, deltas[], freshness,
//                                        updatedAt }
// Step files are named by sequence within the history `logId`; a new history rewrites them all.
import fs from 'node:fs';
import path from 'node:path';
import type { RevocationLog } from './revocation-log.js';
import type { TrustState } from './trust.js';

export interface PublishIndex {
  readonly format: 1;
  readonly updatedAt: number;
  /** The server history the sequence numbers belong to. */
  readonly logId: string;
  readonly bundleVersion: number;
  readonly bundle: string;
  readonly revocationSeq: number;
  readonly floor: number;
  /** Null when the list is too large for one snapshot (partitions, through the API). */
  readonly snapshot: string | null;
  readonly deltas: readonly { from: number; to: number; file: string }[];
  readonly freshness: string;
}

export function writeFileAtomic(file: string, data: Uint8Array | string, mode = 0o644): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  const fd = fs.openSync(tmp, 'w', mode);
  try {
    fs.writeSync(fd, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}

export class Publisher {
  private readonly dir: string;
  /** Step files written by this process in history `writtenLog`; others are rewritten once, not trusted. */
  private readonly written = new Set<string>();
  private writtenLog: string | null = null;

  constructor(dir: string) {
    this.dir = dir;
  }

  /** Rewrite freshness.cose alone (the periodic refresh between changes). */
  publishFreshness(bytes: Uint8Array): void {
    fs.mkdirSync(this.dir, { recursive: true });
    writeFileAtomic(path.join(this.dir, 'freshness.cose'), bytes);
  }

  publish(trust: TrustState, revocations: RevocationLog, freshness: Uint8Array, now: number): PublishIndex {
    const revDir = path.join(this.dir, 'revocations');
    fs.mkdirSync(revDir, { recursive: true });
    const bundle = trust.current();
    writeFileAtomic(path.join(this.dir, 'bundle.cose'), bundle.bytes);

    const logId = revocations.logId();
    if (this.writtenLog !== logId) this.written.clear();
    this.writtenLog = logId;
    const keep = new Set<string>();
    // Above one document's limit the whole list is not signed here (it would fail, and read every id again at
    // every change): devices take it in partitions from the API.
    const snapshot = revocations.snapshotFits() ? revocations.artefact(null, now) : null;
    if (snapshot) {
      writeFileAtomic(path.join(revDir, 'snapshot.cose'), snapshot.bytes);
      keep.add('snapshot.cose');
    }

    const deltas: { from: number; to: number; file: string }[] = [];
    for (const seq of revocations.steps()) {
      // A step too large for one document ends the chain of files: a device past it needs the API.
      if (!revocations.stepFits(seq)) break;
      const name = `delta-${seq - 1}-${seq}.cose`;
      const file = path.join(revDir, name);
      // A step never changes once written; only new steps are signed and written.
      if (!this.written.has(name)) {
        writeFileAtomic(file, revocations.stepDelta(seq, now).bytes);
        this.written.add(name);
      }
      keep.add(name);
      deltas.push({ from: seq - 1, to: seq, file: `revocations/${name}` });
    }
    for (const name of fs.readdirSync(revDir)) {
      if (keep.has(name)) continue;
      fs.rmSync(path.join(revDir, name), { force: true });
      this.written.delete(name);
    }

    const index: PublishIndex = {
      format: 1,
      updatedAt: now,
      logId,
      bundleVersion: bundle.version,
      bundle: 'bundle.cose',
      revocationSeq: revocations.seq(),
      floor: revocations.floor(),
      snapshot: snapshot ? 'revocations/snapshot.cose' : null,
      deltas,
      freshness: 'freshness.cose',
    };
    this.publishFreshness(freshness);
    writeFileAtomic(path.join(this.dir, 'index.json'), JSON.stringify(index, null, 2) + '\n');
    return index;
  }
}
