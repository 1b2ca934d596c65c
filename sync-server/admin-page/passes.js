// Passes: issue, show and download the QR code, list, revoke, change colour.
/* global confirm */
import {
  $,
  admin,
  busy,
  changed,
  colourLabel,
  el,
  fail,
  formatTime,
  fromLocalInput,
  notify,
  shortId,
  toLocalInput,
} from './util.js';
import { issueClaim } from './claims.js';

let objectUrls = [];
let shownPassId = null;

function scopeText(scope) {
  return scope === 'all' ? 'all sites' : scope.join(', ');
}

/** Show one pass with its QR code (fetched with the token, shown from a blob URL) and download links. */
export async function showPass(pass, text) {
  for (const u of objectUrls) URL.revokeObjectURL(u);
  objectUrls = [];
  const [png, svg, shown] = await Promise.all([
    admin.passQr(pass.passId, 'png'),
    admin.passQr(pass.passId, 'svg'),
    text ? text : admin.passText(pass.passId).then((r) => r.text),
  ]);
  const pngUrl = URL.createObjectURL(png);
  const svgUrl = URL.createObjectURL(svg);
  objectUrls.push(pngUrl, svgUrl);
  $('issued-qr').src = pngUrl;
  $('issued-qr').alt = `QR code of the ${pass.colour} pass ${shortId(pass.passId)}`;
  $('issued-png').href = pngUrl;
  $('issued-png').download = `pass-${pass.passId.slice(0, 8)}.png`;
  $('issued-svg').href = svgUrl;
  $('issued-svg').download = `pass-${pass.passId.slice(0, 8)}.svg`;
  const facts = [
    ['Colour', colourLabel(pass.colour)],
    ['Status', pass.status],
    ['Pass id', el('code', {}, pass.passId)],
    ['Valid from', formatTime(pass.notBefore)],
    ['Valid until', formatTime(pass.expiresAt)],
    ['Sites', scopeText(pass.scope)],
  ];
  $('issued-facts').replaceChildren(...facts.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)]));
  const textArea = $('issued-text');
  textArea.value = shown;
  $('h-issued').textContent = text ? 'New pass' : `Pass ${shortId(pass.passId)}`;
  shownPassId = pass.passId;
  const box = $('issued');
  box.hidden = false;
  box.focus();
}

/** @returns {import('./util.js').IssuePassBody} */
function issueBody(form) {
  const data = new FormData(form);
  const colour = /** @type {'green' | 'yellow' | 'red'} */ (String(data.get('colour')));
  const scopeText = String(data.get('scope') ?? '').trim();
  /** @type {'all' | string[]} */
  const scope =
    scopeText === ''
      ? 'all'
      : scopeText
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
  const valid = data.get('valid');
  if (valid !== 'custom') return { colour, validForSeconds: Number(valid), scope };
  const notBefore = fromLocalInput(String(data.get('from') ?? ''));
  const expiresAt = fromLocalInput(String(data.get('until') ?? ''));
  if (notBefore === null || expiresAt === null) throw new Error('enter both "Valid from" and "Valid until"');
  if (expiresAt <= notBefore) throw new Error('"Valid until" must be after "Valid from"');
  return { colour, notBefore, expiresAt, scope };
}

export async function loadPasses() {
  const filter = $('pass-filter').value;
  const { passes } = await admin.passes();
  const rows = passes.filter((p) => !filter || p.status === filter).map(passRow);
  $('pass-rows').replaceChildren(...(rows.length ? rows : [el('tr', {}, el('td', { colSpan: 7 }, 'No passes yet.'))]));
}

function passRow(p) {
  const id = shortId(p.passId);
  const actions = el('div', { className: 'row-actions' });
  if (p.status === 'active') {
    const show = el(
      'button',
      { type: 'button', className: 'secondary', 'aria-label': `Show QR code of pass ${id}` },
      'QR code',
    );
    show.addEventListener('click', () => showPass(p).catch(fail));
    const revoke = el('button', { type: 'button', className: 'danger', 'aria-label': `Revoke pass ${id}` }, 'Revoke');
    revoke.addEventListener('click', () => revokePass(p, revoke));
    const select = el('select', { 'aria-label': `New colour for pass ${id}` });
    for (const c of ['green', 'yellow', 'red']) if (c !== p.colour) select.append(el('option', { value: c }, c));
    const change = el(
      'button',
      { type: 'button', className: 'secondary', 'aria-label': `Change colour of pass ${id}` },
      'Change colour',
    );
    change.addEventListener('click', () => changeColour(p, select.value, change));
    actions.append(show, revoke, select, change);
  } else if (p.replacedBy) {
    actions.append(`replaced by ${shortId(p.replacedBy)}`);
  }
  return el(
    'tr',
    { dataset: { passId: p.passId, status: p.status } },
    el('td', {}, el('code', { title: p.passId }, id)),
    el('td', {}, colourLabel(p.colour)),
    el('td', {}, el('span', { className: `status status-${p.status}` }, p.status)),
    el('td', {}, formatTime(p.notBefore)),
    el('td', {}, formatTime(p.expiresAt)),
    el('td', {}, scopeText(p.scope)),
    el('td', {}, actions),
  );
}

async function revokePass(p, button) {
  if (!confirm(`Revoke pass ${shortId(p.passId)}? Devices refuse it after their next sync. This cannot be undone.`))
    return;
  try {
    await busy(button, () => admin.revokePass(p.passId));
    if (shownPassId === p.passId) $('issued').hidden = true; // its QR code is no longer valid
    notify(`Pass ${shortId(p.passId)} revoked. Devices show it red after their next sync.`);
    changed();
    await loadPasses();
  } catch (err) {
    fail(err);
  }
}

async function changeColour(p, colour, button) {
  if (!confirm(`Change pass ${shortId(p.passId)} to ${colour}? The old code is revoked and a new code is issued.`))
    return;
  try {
    const res = await busy(button, () => admin.recolourPass(p.passId, colour));
    changed();
    await loadPasses();
    await showPass(res.pass, res.text);
    notify(
      `Pass ${shortId(p.passId)} revoked; new ${colour} pass ${shortId(res.pass.passId)} issued. Hand out the new code.`,
    );
  } catch (err) {
    fail(err);
  }
}

export function setupPasses() {
  const form = $('issue-form');
  const now = Math.floor(Date.now() / 1000);
  $('issue-from').value = toLocalInput(now);
  $('issue-until').value = toLocalInput(now + 86400);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    let body;
    try {
      body = issueBody(form);
    } catch (err) {
      fail(`Cannot issue: ${err instanceof Error ? err.message : String(err)}.`);
      return;
    }
    const handout = new FormData(form).get('handout');
    if (handout === 'claim' || handout === 'holder') {
      await issueClaim(body, handout === 'holder', form.querySelector('button[type=submit]'));
      return;
    }
    $('claim-result').hidden = true;
    try {
      const res = await busy(form.querySelector('button[type=submit]'), () => admin.issuePass(body));
      changed();
      await showPass(res.pass, res.text);
      notify(
        `Issued a ${res.pass.colour} pass ${shortId(res.pass.passId)}, valid until ${formatTime(res.pass.expiresAt)}.`,
      );
      await loadPasses();
    } catch (err) {
      fail(err);
    }
  });
  const valid = $('issue-valid');
  valid.addEventListener('change', () => {
    $('issue-custom').hidden = valid.value !== 'custom';
  });
  $('pass-filter').addEventListener('change', () => loadPasses().catch(fail));
  $('passes-refresh').addEventListener('click', () => loadPasses().catch(fail));
}
