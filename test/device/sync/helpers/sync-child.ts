// A device process for the kill test: open the store, run one sync cycle through the real client, exit.
// It prints markers on stdout (synchronously, so a SIGKILL cannot lose one that was written):
//   R  the revocation answer's headers arrived     A  the revocations are about to be written
//   C  the transaction holding them committed       D  the cycle ended
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
const watched = new Proxy(store, {
  get(target, key) {
    if (key === 'applyRevocations') return applyRevocations;
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
