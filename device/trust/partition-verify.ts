// Verifying partitions off the decision thread (docs/sync.md "Partitioned sync"). A partition of a 10 M-id list
// (about 39,000 entries) takes tens of milliseconds to check and decode: small ones are verified in place, large
// ones in one worker thread that answers with the entries packed (partition-worker.ts). The checks and their
// reasons are those of protocol verifyPartition either way. A large delta document (delta-staged.ts) is verified
// there too, its entries handed back sorted by id, packed the same way.
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { ProtocolError, type ProtocolReason } from '../../protocol/errors.js';
import {
  verifyPartition,
  verifyRevocationPage,
  type RevocationPage,
  type VerifyPartitionOptions,
  type VerifyRevocationPageOptions,
} from '../../protocol/index.js';
import type { VerifyRevocationsOptions } from '../../protocol/revocations.js';
import type { PackedEntries, PackedIds } from '../store/types.js';

/** Partition documents up to this size (about 1,500 entries, a few milliseconds) are verified in place. */
export const VERIFY_IN_PLACE_BYTES = 64 * 1024;

export type VerifyJob =
  | {
      readonly id: number;
      readonly kind: 'partition';
      readonly bytes: ArrayBuffer;
      readonly opts: VerifyPartitionOptions;
    }
  | {
      readonly id: number;
      readonly kind: 'delta';
      readonly bytes: ArrayBuffer;
      readonly opts: VerifyRevocationsOptions;
    }
  | {
      readonly id: number;
      readonly kind: 'page';
      readonly bytes: ArrayBuffer;
      readonly opts: VerifyRevocationPageOptions;
    };

/** Ids packed: one string of hex ids and the byte length of each. */
export interface PackedIdList {
  readonly ids: string;
  readonly lengths: Uint8Array;
}

/** What a verified delta page says besides its entries. */
export type PageHead = Omit<RevocationPage, 'added' | 'removed'>;

/** What a verified delta says besides its entries. */
export interface DeltaHead {
  readonly kind: 'delta' | 'snapshot';
  readonly logId: string;
  readonly fromSeq: number;
  readonly toSeq: number;
  readonly issuedAt: number;
}

export type VerifyReply =
  | ({ readonly id: number; readonly ok: true; readonly expiries: Float64Array } & PackedIdList)
  | {
      readonly id: number;
      readonly ok: true;
      readonly head: DeltaHead | PageHead;
      readonly added: PackedIdList;
      readonly expiries: Float64Array;
      readonly removed: PackedIdList;
    }
  | {
      readonly id: number;
      readonly ok: false;
      readonly code: ProtocolReason | null;
      readonly message: string;
      /** A delta refused as VERSION_ROLLBACK: where its (authentic) content ends, to tell a repeat of the held one. */
      readonly endsAt?: { readonly toSeq: number; readonly logId: string } | null;
    };

/** A delta refused because it ends at or below the list held; `endsAt` says where it ends when it is authentic. */
export class DeltaRefused extends ProtocolError {
  constructor(
    code: ProtocolReason,
    message: string,
    readonly endsAt: { readonly toSeq: number; readonly logId: string } | null,
  ) {
    super(code, message);
  }
}

/** A verified delta (or delta page), its entries in ascending id order. */
export interface VerifiedDelta<H = DeltaHead> {
  readonly head: H;
  readonly added: PackedEntries | readonly { revocationId: string; expiresAt: number }[];
  readonly removed: PackedIds | readonly string[];
}

/** The worker's code: the compiled file in a release, the TypeScript source (through tsx) in a checkout. */
function bootstrap(): string {
  const compiled = import.meta.url.endsWith('.js');
  const entry = new URL(compiled ? './partition-worker.js' : './partition-worker.ts', import.meta.url).href;
  if (compiled) return `import(${JSON.stringify(entry)});`;
  // The ESM build of tsx's API, found next to the CommonJS one that require.resolve names.
  const cjs = createRequire(import.meta.url).resolve('tsx/esm/api');
  const tsx = pathToFileURL(path.join(path.dirname(cjs), 'index.mjs')).href;
  return `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`;
}

function unpackIds(r: PackedIdList): PackedIds {
  const offsets = new Uint32Array(r.lengths.length + 1);
  for (let k = 0; k < r.lengths.length; k++) offsets[k + 1] = (offsets[k] as number) + 2 * (r.lengths[k] as number);
  return { length: r.lengths.length, id: (k) => r.ids.slice(offsets[k], offsets[k + 1]) };
}

function unpack(r: PackedIdList, expiries: Float64Array): PackedEntries {
  const ids = unpackIds(r);
  return { length: ids.length, id: ids.id, expiresAt: (k) => expiries[k] as number };
}

/** Verifies the partitions of one sync; close() ends its worker thread (started at the first large partition). */
export class PartitionVerifier {
  private worker: Worker | null = null;
  private nextId = 0;
  private readonly waiting = new Map<number, { resolve: (r: VerifyReply) => void; reject: (e: Error) => void }>();

  async verify(
    bytes: Uint8Array,
    opts: VerifyPartitionOptions,
  ): Promise<PackedEntries | readonly { revocationId: string; expiresAt: number }[]> {
    if (bytes.length <= VERIFY_IN_PLACE_BYTES) return verifyPartition(bytes, opts).entries;
    const reply = await this.ask((id, copy) => ({ id, kind: 'partition', bytes: copy, opts }), bytes);
    if (!('ids' in reply)) throw new Error('partition verifier: an answer of another kind');
    return unpack(reply, reply.expiries);
  }

  /** A delta document, always in the worker thread (the caller sends only large ones here). */
  async verifyDelta(bytes: Uint8Array, opts: VerifyRevocationsOptions): Promise<VerifiedDelta> {
    const reply = await this.ask((id, copy) => ({ id, kind: 'delta', bytes: copy, opts }), bytes);
    if (!('head' in reply) || !('kind' in reply.head)) throw new Error('partition verifier: an answer of another kind');
    return { head: reply.head, added: unpack(reply.added, reply.expiries), removed: unpackIds(reply.removed) };
  }

  /** A delta page: in place up to VERIFY_IN_PLACE_BYTES, else in the worker thread. */
  async verifyPage(bytes: Uint8Array, opts: VerifyRevocationPageOptions): Promise<VerifiedDelta<PageHead>> {
    if (bytes.length <= VERIFY_IN_PLACE_BYTES) {
      const { added, removed, ...head } = verifyRevocationPage(bytes, opts);
      return { head, added, removed };
    }
    const reply = await this.ask((id, copy) => ({ id, kind: 'page', bytes: copy, opts }), bytes);
    if (!('head' in reply) || !('page' in reply.head)) throw new Error('partition verifier: an answer of another kind');
    return { head: reply.head, added: unpack(reply.added, reply.expiries), removed: unpackIds(reply.removed) };
  }

  private async ask(
    job: (id: number, copy: ArrayBuffer) => VerifyJob,
    bytes: Uint8Array,
  ): Promise<Extract<VerifyReply, { ok: true }>> {
    const id = this.nextId++;
    const copy = bytes.slice().buffer;
    const reply = await new Promise<VerifyReply>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.start().postMessage(job(id, copy), [copy]);
    });
    if (reply.ok) return reply;
    if (reply.code !== null) {
      if (reply.endsAt !== undefined) throw new DeltaRefused(reply.code, reply.message, reply.endsAt);
      throw new ProtocolError(reply.code, reply.message);
    }
    throw new Error(`partition verifier: ${reply.message}`);
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(bootstrap(), { eval: true });
    worker.on('message', (r: VerifyReply) => {
      this.waiting.get(r.id)?.resolve(r);
      this.waiting.delete(r.id);
    });
    const failAll = (err: Error): void => {
      for (const w of this.waiting.values()) w.reject(err);
      this.waiting.clear();
      this.worker = null;
    };
    worker.on('error', (err) => failAll(new Error(`partition verifier failed: ${err.message}`)));
    worker.on('exit', (code) => failAll(new Error(`partition verifier exited (code ${code})`)));
    this.worker = worker;
    return worker;
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    if (w) await w.terminate();
  }
}
