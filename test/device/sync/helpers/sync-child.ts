// A device process for the kill test: open the store, run one sync cycle through the real client, exit.
// It prints markers on stdout (synchronously, so a SIGKILL cannot lose one that was written):
//   R  the revocation answer's headers arrived     A  the revocations are about to be written (one transaction,
//   or a staged update begun: a delta above 64 KiB)  C  that transaction, or the stage, committed   D  the cycle ended
// Usage: node --import tsx sync-child.ts STORE_FILE
import fs from 'node:fs';
import { openStore } from '../../../../device/store/index.js';
import { SyncClient } from '../../../../device/sync/client.js';
import type { SyncStore } from '../../../../device/sync/types.js';

const file = process.argv[2];
if (!file) throw new Error('usage: sync-child.ts STORE_FILE');
const mark = (m: string): void => {
  fs.writeSync(1, m + '\n');
};

const store = openStore(file);
let wroteRevocations = false;
const applyRevocations: SyncStore['applyRevocations'] = (delta, at) => {
  mark('A');
  store.applyRevocations(delta, at);
  wroteRevocations = true;
};
// The TrustKeeper verifies and applies inside one store transaction: C is marked once that one committed.
const transaction = <T>(fn: () => T): T => {
  const result = store.transaction(fn);
  if (wroteRevocations) mark('C');
  wroteRevocations = false;
  return result;
};
// A large delta is written through a staged update: A when it begins, C once its commit returned.
const beginRevocationStage = (target: Parameters<typeof store.beginRevocationStage>[0]) => {
  mark('A');
  const stage = store.beginRevocationStage(target);
  return new Proxy(stage, {
    get(t, key) {
      if (key === 'commit')
        return (...args: Parameters<typeof stage.commit>) => {
          t.commit(...args);
          mark('C');
        };
      const value = Reflect.get(t, key, t) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(t) : value;
    },
  });
};
const watched = new Proxy(store, {
  get(target, key) {
    if (key === 'applyRevocations') return applyRevocations;
    if (key === 'beginRevocationStage') return beginRevocationStage;
    if (key === 'transaction') return transaction;
    const value = Reflect.get(target, key, target) as unknown;
    return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
  },
}) as SyncStore;
const client = new SyncClient({
  store: watched,
  fetch: async (url, init) => {
    const res = await fetch(url, init);
    if (url.includes('/revocations')) mark('R');
    return res;
  },
});
const result = await client.syncNow();
mark('D');
mark(
  JSON.stringify({
    ok: result.ok,
    error: result.error?.code ?? null,
    message: result.error?.message ?? null,
    seq: store.revocationSeq(),
  }),
);
store.close();
