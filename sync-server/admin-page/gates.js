// Gates online (holding their push channel): open one once, or turn its lockdown on or off, each after a
// confirmation. The server signs the command and reports whether the gate did it.
/* global confirm */
import { $, admin, busy, changed, el, fail, formatTime, notify, shortId } from './util.js';

let operator = false;

/** An operator token may open gates but not lock them down: the lockdown toggle is left out. */
export function setOperatorMode(on) {
  operator = on;
}

export async function loadGates() {
  const { gates } = await admin.gates();
  const rows = gates.map(gateRow);
  $('gate-rows').replaceChildren(
    ...(rows.length ? rows : [el('tr', {}, el('td', { colSpan: 5 }, 'No gate is online now.'))]),
  );
}

function gateRow(g) {
  const place = `${g.site}/${g.gate}`;
  const open = el('button', { type: 'button', 'aria-label': `Open gate ${place}` }, 'Open gate');
  open.addEventListener('click', () => openGate(g, place, open));
  const on = g.lockdown === true;
  const lock = el(
    'button',
    {
      type: 'button',
      className: on ? 'secondary' : 'danger',
      'aria-label': `${on ? 'End the lockdown of' : 'Lock down'} gate ${place}`,
    },
    on ? 'End lockdown' : 'Lock down',
  );
  lock.addEventListener('click', () => setLockdown(g, place, !on, lock));
  return el(
    'tr',
    { dataset: { gate: place } },
    el('td', {}, place),
    // Actions next to the name, so that they are in view on a phone without scrolling the table sideways.
    el('td', {}, el('div', { className: 'row-actions' }, ...(operator ? [open] : [open, lock]))),
    el(
      'td',
      {},
      el(
        'span',
        { className: `status status-${on ? 'revoked' : 'active'}` },
        g.lockdown === null ? 'unknown' : on ? 'LOCKDOWN' : 'off',
      ),
    ),
    el('td', {}, g.name ? `${g.name} (${shortId(g.deviceId)})` : shortId(g.deviceId)),
    el('td', {}, formatTime(g.connectedAt)),
  );
}

/** What the gate did, as a sentence; true when it did it. */
function outcome(r, what) {
  if (r.result === 'done') return (notify(`Gate ${r.site}/${r.gate}: ${what} (${r.ms} ms).`), true);
  if (r.result === 'refused') fail(`Gate ${r.site}/${r.gate} refused the command (${r.reason}).`);
  else fail(`Gate ${r.site}/${r.gate} did not answer in time; the command may have acted and expires within seconds.`);
  return false;
}

async function openGate(g, place, button) {
  if (!confirm(`Open gate ${place} now, once?`)) return;
  try {
    outcome(await busy(button, () => admin.openGate(g.site, g.gate)), 'opened');
    changed();
  } catch (err) {
    fail(err);
  }
}

async function setLockdown(g, place, on, button) {
  const question = on
    ? `Lock down gate ${place}? Only passes of the lockdown scope open until the lockdown ends.`
    : `End the lockdown of gate ${place}?`;
  if (!confirm(question)) return;
  try {
    outcome(await busy(button, () => admin.lockdownGate(g.site, g.gate, on)), on ? 'lockdown on' : 'lockdown off');
    changed();
    await loadGates();
  } catch (err) {
    fail(err);
  }
}

export function setupGates() {
  $('gates-refresh').addEventListener('click', () => loadGates().catch(fail));
}
