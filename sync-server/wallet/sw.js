// The wallet's service worker: keeps the page's files so the wallet opens with no network at all. Cache first, so
// opening the wallet sends nothing; the only requests after a claim are the page's own refresh calls (and the
// browser's periodic check of this file). Bump VERSION when any file of the page changes.
const VERSION = 'gatecode-wallet-2';
const FILES = [
  '/wallet/',
  '/wallet/index.html',
  '/wallet/wallet.js',
  '/wallet/wallet.css',
  '/wallet/store.js',
  '/wallet/proof.js',
  '/wallet/refresh.js',
  '/wallet/qr.js',
  '/wallet/vendor/uqr.mjs',
  '/wallet/manifest.webmanifest',
  '/wallet/icon.svg',
];

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches
      .open(VERSION)
      .then((cache) => cache.addAll(FILES))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== VERSION).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('fetch', (event) => {
  const req = event.request;
  const url = new URL(req.url);
  if (req.method !== 'GET' || url.origin !== self.location.origin || !url.pathname.startsWith('/wallet/')) return;
  event.respondWith(
    caches.match(req, { ignoreSearch: true }).then((hit) => {
      if (hit) return hit;
      if (req.mode === 'navigate') return caches.match('/wallet/index.html').then((page) => page ?? fetch(req));
      return fetch(req);
    }),
  );
});
