// Device status page: renders the hub's snapshots from the server-sent event stream, refreshes the camera frame
// while the page is visible, and sends the relay test pulse with the local token. Plain browser JavaScript.
/* global sessionStorage */

const $ = (id) => document.getElementById(id);

const COLOUR_TEXT = { green: 'GREEN', yellow: 'YELLOW', red: 'RED' };
const COLOUR_MARK = { green: '✓', yellow: '!', red: '✗' };
// Filled from /api/reasons (the device's own wording); until then the code itself is shown.
let REASON_TEXT = {};

const reasonText = (code) => REASON_TEXT[code] ?? code.toLowerCase().replaceAll('_', ' ');

let last = null; // latest snapshot
let receivedAt = 0; // performance.now() when it arrived
let frameLoading = false;
let pendingFrameSeq = null;

function deviceNow() {
  return last ? last.now + Math.floor((performance.now() - receivedAt) / 1000) : Math.floor(Date.now() / 1000);
}

function two(n) {
  return String(n).padStart(2, '0');
}

function formatTime(epoch) {
  if (epoch === null || epoch === undefined) return '—';
  const d = new Date(epoch * 1000);
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

function formatAge(seconds) {
  if (seconds === null || seconds === undefined) return '—';
  const s = Math.max(0, Math.round(seconds));
  if (s < 90) return `${s} s`;
  if (s < 5400) return `${Math.round(s / 60)} min`;
  if (s < 172800) return `${(s / 3600).toFixed(1)} h`;
  return `${(s / 86400).toFixed(1)} days`;
}

function setText(id, text) {
  const el = $(id);
  if (el.textContent !== text) el.textContent = text;
}

function inputText(value, on, off) {
  return value === null ? 'not wired' : value ? on : off;
}

const CLOCK_SOURCES = {
  ntp: 'trusted (NTP)',
  rtc: 'trusted (RTC)',
  signed: 'trusted (signed time)',
  none: 'NOT CONFIRMED: green shows yellow',
};

function clockText(source) {
  return source ? CLOCK_SOURCES[source] : '—';
}

function renderVerdict(recent) {
  const box = $('verdict');
  const v = recent[0];
  const key = v ? `${v.at}|${v.colour}|${v.reason}|${v.opened}` : 'none';
  if (box.dataset.key === key) return;
  box.dataset.key = key;
  box.className = `verdict verdict-${v ? v.colour : 'none'}`;
  box.replaceChildren();
  const mark = document.createElement('span');
  mark.className = 'verdict-mark';
  mark.setAttribute('aria-hidden', 'true');
  mark.textContent = v ? COLOUR_MARK[v.colour] : '–';
  const text = document.createElement('span');
  text.className = 'verdict-text';
  if (v) {
    const strong = document.createElement('strong');
    strong.textContent = COLOUR_TEXT[v.colour];
    text.append(strong, ` — ${reasonText(v.reason)}`);
    const detail = document.createElement('span');
    detail.className = 'verdict-detail';
    detail.textContent = `${v.reason} · ${v.opened ? 'gate opened' : 'gate stayed closed'} · ${formatTime(v.at)}`;
    text.append(detail);
  } else {
    text.textContent = 'No pass scanned yet';
  }
  box.append(mark, text);
}

function renderRecent(recent) {
  const body = $('recent');
  if (recent.length === 0) return;
  const rows = recent.map((v) => {
    const tr = document.createElement('tr');
    tr.className = `row-${v.colour}`;
    const cells = [
      formatTime(v.at),
      `${COLOUR_MARK[v.colour]} ${COLOUR_TEXT[v.colour]}`,
      `${reasonText(v.reason)} (${v.reason})`,
      v.opened ? 'opened' : 'closed',
    ];
    for (const c of cells) {
      const td = document.createElement('td');
      td.textContent = c;
      tr.append(td);
    }
    return tr;
  });
  body.replaceChildren(...rows);
}

function renderRing(leds) {
  const svg = $('ring');
  const n = leds.pixels.length;
  if (svg.childElementCount !== n) {
    svg.replaceChildren();
    for (let i = 0; i < n; i++) {
      const a = (2 * Math.PI * i) / n - Math.PI / 2;
      const c = document.createElementNS('http://www.w3.org/2000/svg', 'circle');
      c.setAttribute('cx', (45 * Math.cos(a)).toFixed(2));
      c.setAttribute('cy', (45 * Math.sin(a)).toFixed(2));
      c.setAttribute('r', n > 24 ? '4' : '7');
      c.setAttribute('stroke', '#555');
      svg.append(c);
    }
  }
  leds.pixels.forEach(([r, g, b], i) => {
    // Scale up dim (brightness-capped) pixels so the colour is visible on screen; off stays dark.
    const max = Math.max(r, g, b);
    const k = max > 0 ? 255 / max : 0;
    svg.children[i].setAttribute(
      'fill',
      max > 0 ? `rgb(${Math.round(r * k)},${Math.round(g * k)},${Math.round(b * k)})` : '#222',
    );
  });
  setText('led-pattern', leds.pattern);
}

function counterName(name) {
  if (name === 'denied:OK') return 'denied: valid pass, colour does not open';
  return name.startsWith('denied:') ? `denied: ${reasonText(name.slice(7))}` : name;
}

function renderCounters(counters, occupancy) {
  setText('occupancy', occupancy === null ? '—' : String(occupancy));
  const entries = Object.entries(counters)
    .filter(([name]) => name !== 'occupancy') // shown above
    .sort(([a], [b]) => a.localeCompare(b));
  if (entries.length === 0) return;
  const body = $('counters');
  const key = JSON.stringify(entries);
  if (body.dataset.key === key) return;
  body.dataset.key = key;
  body.replaceChildren(
    ...entries.map(([name, count]) => {
      const tr = document.createElement('tr');
      const th = document.createElement('th');
      th.scope = 'row';
      th.textContent = counterName(name);
      const td = document.createElement('td');
      td.className = 'num';
      td.textContent = String(count);
      tr.append(th, td);
      return tr;
    }),
  );
}

function renderTimes() {
  if (!last) return;
  const now = deviceNow();
  const s = last.sync;
  setText(
    'sync-last',
    s.lastSyncAt === null ? 'never' : `${formatTime(s.lastSyncAt)} (${formatAge(now - s.lastSyncAt)} ago)`,
  );
  // The data age counts from signed data (trustDataAt), not from the last answer of the server.
  if (s.trustDataAt === null) {
    setText('sync-age', 'no trust data synced yet');
  } else {
    const age = now - s.trustDataAt;
    const limit = s.maxOfflineAgeSeconds;
    const stale = limit !== null && age > limit;
    setText(
      'sync-age',
      limit === null ? formatAge(age) : `${formatAge(age)} of ${formatAge(limit)} allowed${stale ? ' — STALE' : ''}`,
    );
    $('sync-age').classList.toggle('warn', stale);
  }
}

function render(snap) {
  last = snap;
  receivedAt = performance.now();
  const id = snap.identity;
  const where = [
    id.site && `site ${id.site}`,
    id.gate && `gate ${id.gate}`,
    id.direction && `direction ${id.direction}`,
  ]
    .filter(Boolean)
    .join(' · ');
  setText('identity', where || '(not configured)');
  document.title = `gatecode — ${where || 'gate status'}`;
  renderVerdict(snap.recent);
  renderRecent(snap.recent);
  renderRing(snap.leds);
  setText(
    'relay',
    snap.relay.active
      ? 'ENERGISED (gate released)'
      : `off (gate locked)${snap.relay.lastActiveAt ? ` · last released ${formatTime(snap.relay.lastActiveAt)}` : ''}`,
  );
  setText('in-door', inputText(snap.inputs.door, 'OPEN', 'closed'));
  setText('in-exit', inputText(snap.inputs.exit, 'PRESSED', 'released'));
  setText('in-rotation', inputText(snap.inputs.rotation, 'TRIGGERED', 'idle'));
  setText('in-lockdown', inputText(snap.inputs.lockdown, 'ON: LOCKDOWN', 'off'));
  setText('in-tamper', inputText(snap.inputs.tamper, 'OPEN: TAMPER', 'closed'));
  setText('in-fire', inputText(snap.inputs.fire, 'OPEN: FREE PASSAGE', 'closed'));
  setText('alarms', snap.alarms.length === 0 ? 'none' : snap.alarms.join(', '));
  $('alarms').classList.toggle('warn', snap.alarms.length > 0);
  const s = snap.sync;
  setText('sync-online', s.online ? 'online' : 'offline');
  $('sync-online').classList.toggle('warn', !s.online);
  setText('sync-seq', s.revocationSeq === null ? '—' : String(s.revocationSeq));
  setText('sync-bundle', s.bundleVersion === null ? '—' : String(s.bundleVersion));
  setText('sync-sunset', s.sunset === null ? '—' : formatTime(s.sunset));
  setText(
    'sync-drift',
    s.clockDriftSeconds === null
      ? '—'
      : `${s.clockDriftSeconds > 0 ? '+' : ''}${s.clockDriftSeconds} s (server minus device)`,
  );
  setText('sync-clock', clockText(s.clockSource));
  $('sync-clock').classList.toggle('warn', s.clockSource === 'none');
  setText('sync-error', s.lastError ?? 'none');
  renderTimes();
  renderCounters(snap.counters, snap.occupancy);
  const c = snap.camera;
  setText('cam-fps', `${c.fps} frames/s`);
  setText('cam-size', c.width === null ? '—' : `${c.width} × ${c.height}`);
  setText('cam-delivered', String(c.delivered));
  setText('cam-dropped', String(c.dropped));
  setText('cam-restarts', String(c.restarts));
  setText('cam-decode', c.lastDecodeAt === null ? 'none yet' : formatTime(c.lastDecodeAt));
  $('pulse-button').disabled = !snap.pulseAvailable;
  if (!snap.pulseAvailable && !$('pulse-result').textContent)
    setText('pulse-result', 'Relay test is disabled on this device (no local token set).');
  setText('footer', `gatecode${id.version ? ` ${id.version}` : ''} · device clock ${formatTime(snap.now)}`);
  if (snap.frameSeq !== null && !$('frame').dataset.seq) void loadFrame(snap.frameSeq);
}

async function loadFrame(seq) {
  if (document.visibilityState !== 'visible') return;
  const img = $('frame');
  if (String(seq) === img.dataset.seq) return;
  if (frameLoading) {
    pendingFrameSeq = seq;
    return;
  }
  frameLoading = true;
  try {
    const res = await fetch('/frame.png', { cache: 'no-store' });
    if (res.ok) {
      const url = URL.createObjectURL(await res.blob());
      if (img.src.startsWith('blob:')) URL.revokeObjectURL(img.src);
      img.src = url;
      img.hidden = false;
      img.dataset.seq = res.headers.get('x-frame-seq') ?? String(seq);
      const region = res.headers.get('x-frame-region') === 'yes';
      setText(
        'frame-caption',
        region ? 'Code found: the green outline marks the decode region.' : 'No code found in this frame.',
      );
    }
  } catch {
    // The event stream reports the lost connection; the next frame notice tries again.
  } finally {
    frameLoading = false;
    if (pendingFrameSeq !== null) {
      const p = pendingFrameSeq;
      pendingFrameSeq = null;
      void loadFrame(p);
    }
  }
}

function connect() {
  const conn = $('connection');
  const es = new EventSource('/events');
  es.addEventListener('open', () => {
    conn.textContent = 'Live';
    conn.className = 'badge badge-live';
  });
  es.addEventListener('error', () => {
    conn.textContent = 'Connection lost — reconnecting…';
    conn.className = 'badge badge-lost';
  });
  es.addEventListener('status', (e) => render(JSON.parse(e.data)));
  es.addEventListener('frame', (e) => {
    void loadFrame(JSON.parse(e.data).seq);
  });
}

function setupPulse() {
  const form = $('pulse-form');
  const input = $('pulse-token');
  const result = $('pulse-result');
  input.value = sessionStorage.getItem('gatecode.statusToken') ?? '';
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const token = input.value.trim();
    sessionStorage.setItem('gatecode.statusToken', token);
    result.textContent = 'Sending…';
    try {
      const res = await fetch('/api/pulse', { method: 'POST', headers: { authorization: `Bearer ${token}` } });
      const body = await res.json().catch(() => ({}));
      const messages = {
        UNAUTHORIZED: 'Wrong token.',
        RATE_LIMITED: 'Too soon after the last pulse: wait two seconds.',
        PULSE_DISABLED: 'Relay test is disabled on this device.',
        PULSE_UNAVAILABLE: 'The gate is not ready to pulse.',
      };
      result.textContent = res.ok
        ? `Relay pulsed at ${formatTime(deviceNow())}.`
        : (messages[body.error] ?? `Failed (${body.error ?? res.status}).`);
    } catch {
      result.textContent = 'No connection to the device.';
    }
  });
}

async function loadReasons() {
  try {
    const res = await fetch('/api/reasons');
    if (res.ok) REASON_TEXT = await res.json();
  } catch {
    // Codes are shown as they are.
  }
}

setupPulse();
await loadReasons();
connect();
setInterval(renderTimes, 1000);
document.addEventListener('visibilitychange', () => {
  if (last && last.frameSeq !== null) void loadFrame(last.frameSeq);
});
