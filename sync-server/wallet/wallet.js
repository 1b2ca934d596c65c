// The wallet page: claims a pass from a claim link (#claim=SECRET, &holder=1 for a holder-bound pass), keeps passes
// in IndexedDB and shows each as a large QR code with its colour, validity and sites. A holder-bound pass shows a
// code that changes every 5 seconds, signed by a key that never leaves this browser. The claim answers with a
// refresh secret of this wallet's own (the link's secret is spent and not kept). After the claim the only request is
// the refresh (refresh secret → the pass that replaced it), made when the page opens, comes online or into view, and
// every 5 minutes while it stays open (refresh.js: backing off to an hour while the server does not answer).
import { holderCode, msToNextStep, newHolderKey } from './proof.js';
import { qrSvg } from './qr.js';
import { refreshSchedule } from './refresh.js';
import { openWallet } from './store.js';

const $ = (id) => document.getElementById(id);
const COLOUR_NAMES = { green: 'Green', yellow: 'Yellow', red: 'Red' };
const CLAIM_ERRORS = {
  CLAIM_USED: 'This link was already used. A claim link works once: ask for a new one.',
  CLAIM_EXPIRED: 'This link has expired. Ask for a new one.',
  CLAIM_NOT_FOUND: 'This link is not valid: it may be mistyped or cut short.',
  CLAIM_REVOKED: 'This link was withdrawn by the administrator. Ask for a new one.',
  PASS_NOT_ACTIVE: 'This pass was withdrawn before it was claimed.',
};
let wallet;
let timer = null;

function say(text) {
  $('message').textContent = text;
}
function problem(text) {
  $('problem').textContent = text;
}

function when(epoch) {
  return new Date(epoch * 1000).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'class') node.className = v;
    else if (k === 'text') node.textContent = v;
    else node.setAttribute(k, v);
  }
  node.append(...children);
  return node;
}

function facts(pairs) {
  const dl = el('dl', { class: 'facts' });
  for (const [k, v] of pairs) dl.append(el('dt', { text: k }), el('dd', { text: v }));
  return dl;
}

function display(value) {
  if (value === null || value === undefined) return '—';
  if (Array.isArray(value)) return value.map(display).join(', ');
  if (typeof value === 'object') return value.utc ? `${value.utc} (${value.epoch})` : JSON.stringify(value);
  return String(value);
}

/** The same fields as `gatecode pass inspect`, as a list. */
function inspection(pass) {
  const i = pass.inspection;
  const pairs = [
    ['Format', i.prefix],
    ['Characters', String(i.characters)],
    ['Signed bytes', String(i.coseBytes)],
    ...Object.entries(i.protectedHeader).map(([k, v]) => [`Header ${k}`, display(v)]),
    ...Object.entries(i.claims).map(([k, v]) => [k, display(v)]),
    ...Object.entries(i.unknownClaims).map(([k, v]) => [`Unknown claim ${k}`, display(v)]),
    ['Signature', i.signature],
  ];
  return el(
    'details',
    {},
    el('summary', { text: 'What this pass holds' }),
    facts(pairs),
    el('p', {
      class: 'note',
      text: 'Nothing here names you. The gate checks the signature; this list is decoded without checking it.',
    }),
  );
}

async function codeFor(record, nowMs) {
  if (!record.pass.holderBound) return record.pass.text;
  return holderCode(record.pass.text, record.pass.passId, record.privateKey, nowMs);
}

function card(record, code) {
  const p = record.pass;
  const colour = COLOUR_NAMES[p.colour] ?? p.colour;
  const headingId = `h-${record.id}`;
  const article = el('article', { class: `pass ${p.colour}`, 'aria-labelledby': headingId, 'data-id': record.id });
  article.append(el('h2', { id: headingId }, el('span', { class: 'swatch', 'aria-hidden': 'true' }), `${colour} pass`));
  if (record.status === 'revoked' || record.status === 'expired') {
    article.append(
      el('p', { class: 'withdrawn', text: record.status === 'revoked' ? 'This pass was withdrawn.' : 'Expired.' }),
    );
  } else {
    if (p.holderBound) article.append(el('p', { class: 'live', text: 'Live code: it changes every 5 seconds.' }));
    const box = el('div', { class: 'qr' });
    box.append(qrSvg(code, `${colour} pass code for the gate scanner${p.holderBound ? ', live' : ''}`));
    article.append(box);
  }
  const scope = p.scope === 'all' ? 'All sites' : p.scope.join(', ');
  article.append(
    facts([
      ['Colour', colour],
      ['Valid from', when(p.notBefore)],
      ['Valid until', when(p.expiresAt)],
      ['Sites', scope],
      ['Kind', p.holderBound ? 'Tied to this phone' : 'Printable'],
    ]),
  );
  article.append(inspection(p));
  const del = el('button', { type: 'button', class: 'delete', text: 'Delete this pass' });
  del.addEventListener('click', () => void remove(record));
  article.append(del);
  return article;
}

async function render() {
  const records = await wallet.all();
  const nowMs = Date.now();
  const cards = await Promise.all(records.map(async (r) => card(r, await codeFor(r, nowMs))));
  $('passes').replaceChildren(...cards);
  $('empty').hidden = records.length > 0;
  if (timer !== null) clearTimeout(timer);
  timer = null;
  // A live code is redrawn when its time step changes.
  if (records.some((r) => r.pass.holderBound && !r.status))
    timer = setTimeout(() => void render(), msToNextStep(nowMs) + 20);
}

async function remove(record) {
  if (!window.confirm('Delete this pass from this phone? It cannot be claimed again.')) return;
  await wallet.remove(record.id);
  say('Pass deleted.');
  await render();
}

async function post(path, body) {
  const res = await fetch(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    cache: 'no-store',
    credentials: 'omit',
  });
  const json = await res.json().catch(() => ({}));
  return { ok: res.ok, status: res.status, json };
}

async function claim(secret, holderBound) {
  say('Adding the pass to this phone…');
  let key = null;
  try {
    if (holderBound) key = await newHolderKey();
    const { ok, json } = await post('/api/wallet/claim', key ? { secret, holderKey: key.publicKey } : { secret });
    if (!ok) {
      say('');
      problem(CLAIM_ERRORS[json.error] ?? `The pass could not be added (${json.error ?? 'no answer'}).`);
      return;
    }
    const id = crypto.randomUUID();
    await wallet.put({
      id,
      refreshSecret: json.refreshSecret,
      pass: json.pass,
      privateKey: key?.privateKey ?? null,
      addedAt: Date.now(),
    });
    say(`${COLOUR_NAMES[json.pass.colour] ?? ''} pass added. It works offline from now on.`);
  } catch (err) {
    say('');
    problem(
      err instanceof TypeError && !holderBound
        ? 'No connection: open the link again when online.'
        : `The pass could not be added: ${err.message}`,
    );
  }
}

/**
 * Ask for each pass whether it was replaced or withdrawn: its refresh secret is all that is sent. 'failed' when the
 * server did not answer (or answered with its own error), so the schedule backs off.
 */
async function refresh() {
  if (!navigator.onLine) return 'offline';
  const records = (await wallet.all()).filter((r) => r.refreshSecret && r.status !== 'revoked');
  let changed = false;
  let outcome = 'ok';
  for (const r of records) {
    try {
      const { ok, status, json } = await post('/api/wallet/refresh', { secret: r.refreshSecret });
      if (status >= 500 || status === 429) outcome = 'failed';
      if (!ok) continue;
      if (json.status === 'active' && json.pass.text !== r.pass.text) {
        await wallet.put({ ...r, pass: json.pass, status: undefined });
        say(`A pass was updated: it is now ${COLOUR_NAMES[json.pass.colour] ?? json.pass.colour}.`);
        changed = true;
      } else if (json.status !== 'active' && r.status !== json.status) {
        await wallet.put({ ...r, status: json.status });
        changed = true;
      }
    } catch {
      outcome = 'failed'; // no answer: the schedule tries again later, and at once when the page comes online
      break;
    }
  }
  if (changed) await render();
  return outcome;
}

const schedule = refreshSchedule({
  run: refresh,
  setTimer: (fn, ms) => setTimeout(fn, ms),
  clearTimer: (t) => clearTimeout(t),
  canAsk: () => navigator.onLine && document.visibilityState === 'visible',
});

function network() {
  $('network').textContent = navigator.onLine ? 'Online' : 'Offline: your passes still work.';
}

/** Claim the pass a link names, if the address has one. Returns whether it did. */
async function fromLink() {
  const params = new URLSearchParams(location.hash.slice(1));
  const secret = params.get('claim');
  if (!secret) return false;
  // The secret leaves the address bar and the history before anything else happens.
  history.replaceState(null, '', location.pathname);
  problem('');
  if (/^[A-Za-z0-9_-]{43}$/.test(secret)) await claim(secret, params.get('holder') === '1');
  else problem(CLAIM_ERRORS.CLAIM_NOT_FOUND);
  return true;
}

async function main() {
  network();
  window.addEventListener('online', () => {
    network();
    void schedule.now();
  });
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') void schedule.now();
  });
  window.addEventListener('offline', network);
  if ('serviceWorker' in navigator) {
    navigator.serviceWorker.register('/wallet/sw.js', { scope: '/wallet/' }).catch(() => {});
  }
  wallet = await openWallet();
  // A claim link opened while the wallet is already open changes only the fragment.
  window.addEventListener('hashchange', () => void fromLink().then(render));
  if (await fromLink()) schedule.start();
  else void schedule.now();
  await render();
  document.body.dataset.ready = 'true';
}

void main();
