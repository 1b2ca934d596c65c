// Alarms the gates reported (door forced, held open, fire release, …): newest first, filtered by acknowledged or
// not, each with an Acknowledge button (recorded with who and when in the audit log).
import { $, admin, busy, changed, el, fail, formatTime, notify, shortId } from './util.js';

const KIND_TEXT = {
  'door-forced': 'Door forced open',
  'door-held-open': 'Door held open',
  'fire-release': 'Fire release',
  lockdown: 'Lockdown',
  'camera-fault': 'Camera fault',
  'stale-data': 'Stale trust data',
  'clock-fault': 'Clock behind signed data',
  'clock-untrusted': 'Clock not trusted',
  sunset: 'Sunset reached',
};

export async function loadAlarms() {
  const { alarms } = await admin.alarms($('alarm-filter').value);
  const rows = alarms.map(alarmRow);
  $('alarm-rows').replaceChildren(
    ...(rows.length ? rows : [el('tr', {}, el('td', { colSpan: 6 }, 'No alarms to show.'))]),
  );
}

function alarmRow(a) {
  const gate = a.deviceName ? `${a.deviceName} (${shortId(a.deviceId)})` : shortId(a.deviceId);
  const what = KIND_TEXT[a.kind] ?? a.kind;
  const actions = el('div', { className: 'row-actions' });
  if (a.status === 'open') {
    const ack = el('button', { type: 'button', 'aria-label': `Acknowledge ${what} at ${gate}` }, 'Acknowledge');
    ack.addEventListener('click', () => acknowledge(a, what, gate, ack));
    actions.append(ack);
  }
  const state = a.active
    ? el('span', { className: 'status status-revoked' }, 'active')
    : el('span', { className: 'status status-active' }, `cleared ${formatTime(a.clearedAt)}`);
  return el(
    'tr',
    { dataset: { alarmId: String(a.id), kind: a.kind } },
    el('td', {}, what),
    el('td', {}, gate),
    el('td', { className: 'nowrap' }, formatTime(a.raisedAt)),
    el('td', {}, state),
    el('td', {}, a.acknowledgedAt === null ? '—' : `${formatTime(a.acknowledgedAt)} by ${a.acknowledgedBy}`),
    el('td', {}, actions),
  );
}

async function acknowledge(a, what, gate, button) {
  try {
    await busy(button, () => admin.ackAlarm(a.id));
    notify(`${what} at ${gate} acknowledged.`);
    changed();
    await loadAlarms();
  } catch (err) {
    fail(err);
  }
}

export function setupAlarms() {
  $('alarm-filter').addEventListener('change', () => loadAlarms().catch(fail));
  $('alarms-refresh').addEventListener('click', () => loadAlarms().catch(fail));
}
