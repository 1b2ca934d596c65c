// The wallet's storage: one IndexedDB object store of passes, each { id, secret, pass, privateKey, addedAt,
// status }. The holder's private key is a non-extractable CryptoKey, stored as the browser stores such keys.
const DB = 'gatecode-wallet';
const STORE = 'passes';

function request(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

export async function openWallet() {
  const open = indexedDB.open(DB, 1);
  open.onupgradeneeded = () => open.result.createObjectStore(STORE, { keyPath: 'id' });
  const db = await request(open);
  const tx = (mode) => db.transaction(STORE, mode).objectStore(STORE);
  return {
    all: async () => {
      const rows = await request(tx('readonly').getAll());
      return rows.sort((a, b) => a.addedAt - b.addedAt);
    },
    put: (record) => request(tx('readwrite').put(record)),
    remove: (id) => request(tx('readwrite').delete(id)),
  };
}
