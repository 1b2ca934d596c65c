// Devices (heartbeat, data age, drift, token roll, revoke) and enrolment codes shown as a QR code. A token roll
// is a handover the gate completes at its next sync, or immediate (a stolen gate: the device is revoked).
/* global confirm */
import { $, admin, busy, changed, el, fail, formatAgo, formatDuration, formatTime, notify, shortId } from './util.js';

export async function loadDevices() {
  const body = await admin.devices();
  const devices = Array.isArray(body) ? body : body.devices;
  const rows = devices.map(deviceRow);
  $('device-rows').replaceChildren(
    ...(rows.length ? rows : [el('tr', {}, el('td', { colSpan: 7 }, 'No devices enrolled yet.'))]),
  );
}

function deviceRow(d) {
  const label = d.name ? `${d.name} (${shortId(d.deviceId)})` : shortId(d.deviceId);
  const actions = el('div', { className: 'row-actions' });
  if (d.status === 'active') {
    const roll = el(
      'button',
      {
        type: 'button',
        className: 'secondary',
        'aria-label': `Roll the token of device ${label} at its next sync`,
        disabled: d.tokenRollPendingSince !== null,
      },
      'Roll token at next sync',
    );
    roll.addEventListener('click', () => rollToken(d, label, roll, 'handover'));
    const kill = el(
      'button',
      { type: 'button', className: 'danger', 'aria-label': `Kill the token of device ${label} now` },
      'Kill token now',
    );
    kill.addEventListener('click', () => rollToken(d, label, kill, 'immediate'));
    const revoke = el(
      'button',
      { type: 'button', className: 'danger', 'aria-label': `Revoke device ${label}` },
      'Revoke',
    );
    revoke.addEventListener('click', () => revokeDevice(d, label, revoke));
    actions.append(roll, kill, revoke);
  }
  const drift =
    d.clockDriftSeconds === null || d.clockDriftSeconds === undefined
      ? null
      : Math.round(d.clockDriftSeconds * 10) / 10;
  // Device clock minus server clock, as the server measured it at the last heartbeat.
  const driftAmount =
    drift === null ? null : Math.abs(drift) < 3600 ? `${Math.abs(drift)} s` : formatDuration(Math.abs(drift));
  const driftText =
    driftAmount === null
      ? '—'
      : `${drift > 0 ? '+' : drift < 0 ? '−' : ''}${driftAmount}${Math.abs(drift) > 60 ? ' (check the clock)' : ''}`;
  return el(
    'tr',
    { dataset: { deviceId: d.deviceId } },
    el('td', {}, label),
    el(
      'td',
      {},
      el('span', { className: `status status-${d.status}` }, d.status),
      d.tokenRollPendingSince === null ? null : el('div', { className: 'help' }, 'token roll pending'),
    ),
    el('td', {}, formatAgo(d.lastHeartbeatAt ?? null)),
    el('td', {}, formatDuration(d.dataAgeSeconds ?? null)),
    el('td', { className: Math.abs(drift ?? 0) > 60 ? 'warn' : '' }, driftText),
    el('td', {}, d.heartbeat ? String(d.heartbeat.seq) : '—'),
    el('td', { className: d.eventsRefused > 0 ? 'warn' : '' }, String(d.eventsRefused ?? 0)),
    el('td', {}, actions),
  );
}

const ROLL_QUESTION = {
  handover: (label) =>
    `Roll the token of device ${label}? The gate fetches a new token at its next sync and its old token works until then.`,
  immediate: (label) =>
    `Kill the token of device ${label} now (a stolen or lost gate)? It stops working at once, the device is revoked, and the gate needs a new enrolment code.`,
};

async function rollToken(d, label, button, mode) {
  if (!confirm(ROLL_QUESTION[mode](label))) return;
  try {
    await busy(button, () => admin.rollDevice(d.deviceId, mode));
    changed();
    notify(
      mode === 'handover'
        ? `Token roll pending for device ${label}: the gate completes it at its next sync.`
        : `Token of device ${label} killed; the device is revoked. Re-enrol the gate with a new code.`,
    );
    await loadDevices();
  } catch (err) {
    fail(err);
  }
}

async function revokeDevice(d, label, button) {
  if (!confirm(`Revoke device ${label}? It can no longer sync and will go stale.`)) return;
  try {
    await busy(button, () => admin.revokeDevice(d.deviceId));
    notify(`Device ${label} revoked.`);
    changed();
    await loadDevices();
  } catch (err) {
    fail(err);
  }
}

export async function loadEnrolments() {
  const { enrolments } = await admin.enrolments();
  const rows = enrolments.map((e) => {
    const actions = el('div', { className: 'row-actions' });
    if (e.status === 'open') {
      const revoke = el(
        'button',
        { type: 'button', className: 'danger', 'aria-label': `Revoke enrolment code ${e.id}` },
        'Revoke',
      );
      revoke.addEventListener('click', () => revokeEnrolment(e, revoke));
      actions.append(revoke);
    }
    return el(
      'tr',
      { dataset: { enrolmentId: e.id, status: e.status } },
      el('td', {}, el('code', {}, e.id)),
      el('td', {}, formatTime(e.createdAt)),
      el('td', {}, formatTime(e.expiresAt)),
      el('td', {}, el('span', { className: `status status-${e.status}` }, e.status)),
      el('td', {}, e.deviceId ? shortId(e.deviceId) : '—'),
      el('td', {}, actions),
    );
  });
  $('enrolment-rows').replaceChildren(
    ...(rows.length ? rows : [el('tr', {}, el('td', { colSpan: 6 }, 'No enrolment codes yet.'))]),
  );
}

async function revokeEnrolment(e, button) {
  if (!confirm(`Revoke enrolment code ${e.id}? It can no longer be used to enrol a device.`)) return;
  try {
    await busy(button, () => admin.revokeEnrolment(e.id));
    if ($('enrol-result').dataset.id === e.id) $('enrol-result').hidden = true;
    notify(`Enrolment code ${e.id} revoked.`);
    changed();
    await loadEnrolments();
  } catch (err) {
    fail(err);
  }
}

export function setupDevices() {
  $('devices-refresh').addEventListener('click', () => Promise.all([loadDevices(), loadEnrolments()]).catch(fail));
  const form = $('enrol-form');
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      const ttlSeconds = Number($('enrol-ttl').value);
      const res = await busy(form.querySelector('button'), () => admin.newEnrolment(ttlSeconds));
      changed();
      // The server's SVG is shown as an image, never inserted as markup.
      $('enrol-qr').src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(res.qrSvg)}`;
      $('enrol-uri').value = res.enrolmentUri;
      $('enrol-code').textContent = res.code;
      $('enrol-expires').textContent = formatTime(res.expiresAt);
      $('enrol-result').dataset.id = res.id;
      $('enrol-result').hidden = false;
      $('enrol-result').focus();
      notify(`Enrolment code created; it works once, until ${formatTime(res.expiresAt)}.`);
      await loadEnrolments();
    } catch (err) {
      fail(err);
    }
  });
}
