// Devices (heartbeat, data age, drift, roll token, revoke) and enrolment codes shown as a QR code.
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
      { type: 'button', className: 'secondary', 'aria-label': `Roll the token of device ${label}` },
      'Roll token',
    );
    roll.addEventListener('click', () => rollToken(d, label, roll));
    const revoke = el(
      'button',
      { type: 'button', className: 'danger', 'aria-label': `Revoke device ${label}` },
      'Revoke',
    );
    revoke.addEventListener('click', () => revokeDevice(d, label, revoke));
    actions.append(roll, revoke);
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
    el('td', {}, el('span', { className: `status status-${d.status}` }, d.status)),
    el('td', {}, formatAgo(d.lastHeartbeatAt ?? null)),
    el('td', {}, formatDuration(d.dataAgeSeconds ?? null)),
    el('td', { className: Math.abs(drift ?? 0) > 60 ? 'warn' : '' }, driftText),
    el('td', {}, d.heartbeat ? String(d.heartbeat.seq) : '—'),
    el('td', { className: d.eventsRefused > 0 ? 'warn' : '' }, String(d.eventsRefused ?? 0)),
    el('td', {}, actions),
  );
}

async function rollToken(d, label, button) {
  if (!confirm(`Roll the token of device ${label}? The old token stops working at once.`)) return;
  try {
    const { token } = await busy(button, () => admin.rollDevice(d.deviceId));
    changed();
    $('device-token-text').value = token;
    $('device-token').hidden = false;
    $('device-token').focus();
    notify(`New token for device ${label}.`);
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
