// The publish directory: every signed artefact a device downloads, as plain files, so any static host can
// serve them. Written after every change, each file to a temp name and renamed, index.json last.
//
//   bundle.cose                        the newest signed trust bundle
//   revocations/snapshot.cose          the whole current revocation list (kind snapshot, 0 → seq)
//   revocations/delta-<from>-<to>.cose one file per retained step (to = from + 1)
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
  readonly snapshot: string;
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

    const snapshot = revocations.artefact(null, now);
    if (this.writtenLog !== snapshot.logId) this.written.clear();
    this.writtenLog = snapshot.logId;
    writeFileAtomic(path.join(revDir, 'snapshot.cose'), snapshot.bytes);

    const deltas: { from: number; to: number; file: string }[] = [];
    const keep = new Set<string>(['snapshot.cose']);
    for (const seq of revocations.steps()) {
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
      logId: snapshot.logId,
      bundleVersion: bundle.version,
      bundle: 'bundle.cose',
      revocationSeq: snapshot.toSeq,
      floor: revocations.floor(),
      snapshot: 'revocations/snapshot.cose',
      deltas,
      freshness: 'freshness.cose',
    };
    this.publishFreshness(freshness);
    writeFileAtomic(path.join(this.dir, 'index.json'), JSON.stringify(index, null, 2) + '\n');
    return index;
  }
}
