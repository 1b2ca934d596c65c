// Policy (what each colour does, maximum offline age, sunset) and the audit log.
/* global confirm */
import { $, admin, busy, el, fail, formatTime, fromLocalInput, notify, onChange, toLocalInput } from './util.js';

const ACTIONS = [
  ['open', 'open the gate'],
  ['attention', 'open with attention'],
  ['deny', 'deny (see staff)'],
];

/** The red action the server holds: setting it to open needs an explicit confirmation. */
let currentRed = null;

export async function loadPolicy() {
  const policy = await admin.policy();
  currentRed = policy.actions.red;
  for (const c of ['green', 'yellow', 'red']) $(`policy-${c}`).value = policy.actions[c];
  $('policy-offline').value = String(Math.round(policy.maxOfflineAgeSeconds / 3600));
  $('policy-sunset').value = toLocalInput(policy.sunset);
}

function detailValue(key, value) {
  if (typeof value === 'number' && /(At|sunset)$/.test(key)) return formatTime(value);
  if (/Seconds$/.test(key) && typeof value === 'number') return `${value / 3600} h`;
  return typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value);
}

function flatten(obj, prefix = '', out = {}) {
  for (const [k, v] of Object.entries(obj ?? {})) {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) flatten(v, `${prefix}${k}.`, out);
    else out[`${prefix}${k}`] = v;
  }
  return out;
}

/** Small metadata as text; a { from, to } pair shows only what changed. */
export function describeDetails(details) {
  if (!details) return '';
  if (details.from && details.to && typeof details.from === 'object' && typeof details.to === 'object') {
    const a = flatten(details.from);
    const b = flatten(details.to);
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter(
      (k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]),
    );
    if (keys.length === 0) return 'no change';
    return keys.map((k) => `${k}: ${detailValue(k, a[k])} → ${detailValue(k, b[k])}`).join('; ');
  }
  return Object.entries(details)
    .map(([k, v]) => `${k}: ${detailValue(k, v)}`)
    .join(', ');
}

export async function loadAudit() {
  const { entries } = await admin.audit();
  const rows = entries.map((e) =>
    el(
      'tr',
      {},
      el('td', { className: 'nowrap' }, formatTime(e.at)),
      el('td', {}, e.actor),
      el('td', {}, e.action),
      el('td', {}, e.target ? el('code', {}, e.target) : '—'),
      el('td', { className: 'details' }, describeDetails(e.details)),
    ),
  );
  $('audit-rows').replaceChildren(
    ...(rows.length ? rows : [el('tr', {}, el('td', { colSpan: 5 }, 'Nothing recorded yet.'))]),
  );
}

export function setupPolicy() {
  for (const c of ['green', 'yellow', 'red']) {
    $(`policy-${c}`).replaceChildren(...ACTIONS.map(([value, text]) => el('option', { value }, text)));
  }
  const form = $('policy-form');
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const sunset = fromLocalInput($('policy-sunset').value);
    const hours = Number($('policy-offline').value);
    if (sunset === null || !(hours >= 1)) {
      fail('Enter a sunset date and a maximum offline age of at least one hour.');
      return;
    }
    if (
      sunset <= Date.now() / 1000 &&
      !confirm('This sunset is in the past: every device will stop and wipe at its next sync. Continue?')
    )
      return;
    const body = {
      actions: { green: $('policy-green').value, yellow: $('policy-yellow').value, red: $('policy-red').value },
      maxOfflineAgeSeconds: Math.round(hours * 3600),
      sunset,
    };
    if (body.actions.red === 'open' && currentRed !== 'open') {
      if (
        !confirm(
          'Open the gate on red? Revoked and denied passes will then open it. This is recorded in the audit log.',
        )
      )
        return;
      body.allowRedOpen = true;
    }
    try {
      await busy(form.querySelector('button'), () => admin.setPolicy(body));
      notify(`Policy saved; sunset ${formatTime(sunset)}. Devices pick it up at their next sync.`);
      await Promise.all([loadPolicy(), loadAudit()]);
    } catch (err) {
      fail(err);
    }
  });
  onChange(loadAudit);
  $('audit-refresh').addEventListener('click', () => loadAudit().catch(fail));
}
