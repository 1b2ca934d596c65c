// Claim links: a one-time link (and its QR code) that puts a pass into the person's phone wallet; for a pass tied
// to the phone, the pass itself is issued when the phone claims it. The list of links made (state, times, the pass
// id shortened; the server keeps no secret to show) with a Revoke button for an open one.
/* global Blob, confirm */
import { $, admin, busy, changed, colourLabel, el, fail, formatTime, notify, onChange, shortId } from './util.js';
import { loadPasses } from './passes.js';

let qrUrl = null;

export async function issueClaim(body, holderBound, button) {
  let res;
  try {
    res = await busy(button, () => admin.newClaim({ ...body, holderBound }));
  } catch (err) {
    fail(err);
    return;
  }
  changed();
  $('issued').hidden = true;
  if (qrUrl) URL.revokeObjectURL(qrUrl);
  qrUrl = URL.createObjectURL(new Blob([res.qrSvg], { type: 'image/svg+xml' }));
  $('claim-qr').src = qrUrl;
  $('claim-url').value = res.url;
  const facts = [
    [
      'Pass',
      el('span', {}, colourLabel(body.colour), holderBound ? ', tied to the phone that claims it' : ', printable'),
    ],
    ['Link works until', formatTime(res.claim.expiresAt)],
    ['Works', 'once'],
  ];
  $('claim-facts').replaceChildren(...facts.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)]));
  const box = $('claim-result');
  box.hidden = false;
  box.focus();
  notify(`Claim link made for a ${body.colour} pass, valid once until ${formatTime(res.claim.expiresAt)}.`);
  await loadPasses().catch(fail);
}

const STATE_TEXT = { open: 'open', used: 'used', expired: 'expired', revoked: 'revoked' };

export async function loadClaims() {
  const { claims } = await admin.claims();
  const rows = claims.map((c) => {
    const actions = el('div', { className: 'row-actions' });
    if (c.state === 'open') {
      const revoke = el(
        'button',
        { type: 'button', className: 'danger', 'aria-label': `Revoke claim link ${c.id}` },
        'Revoke',
      );
      revoke.addEventListener('click', () => revokeClaim(c, revoke));
      actions.append(revoke);
    }
    const kind = c.holderBound ? 'tied to the phone' : 'printable';
    const pass = c.passId === null ? `— (${kind}, issued when claimed)` : `${shortId(c.passId)} (${kind})`;
    return el(
      'tr',
      { dataset: { claimId: c.id, state: c.state } },
      el('td', {}, el('code', {}, c.id)),
      el('td', {}, el('span', { className: `status status-${c.state}` }, STATE_TEXT[c.state] ?? c.state)),
      el('td', {}, formatTime(c.createdAt)),
      el('td', {}, formatTime(c.expiresAt)),
      el('td', {}, pass),
      el('td', {}, actions),
    );
  });
  $('claim-rows').replaceChildren(
    ...(rows.length ? rows : [el('tr', {}, el('td', { colSpan: 6 }, 'No claim links yet.'))]),
  );
}

async function revokeClaim(c, button) {
  const note = c.passId === null ? '' : ' The pass already issued for it stays valid: revoke it under Passes.';
  if (!confirm(`Revoke claim link ${c.id}? It can no longer be claimed.${note}`)) return;
  try {
    await busy(button, () => admin.revokeClaim(c.id));
    notify(`Claim link ${c.id} revoked.${note}`);
    changed();
  } catch (err) {
    fail(err);
  }
}

export function setupClaims() {
  $('claims-refresh').addEventListener('click', () => loadClaims().catch(fail));
  // Not for an operator token (the Passes section is hidden): it may not list claim links.
  onChange(() => ($('passes').hidden ? undefined : loadClaims().catch(fail)));
}
