// Claim links: a one-time link (and its QR code) that puts a pass into the person's phone wallet; for a pass tied
// to the phone, the pass itself is issued when the phone claims it.
/* global Blob */
import { $, admin, busy, changed, colourLabel, el, fail, formatTime, notify } from './util.js';
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
