// Small helpers shared by the admin page modules: the API client, DOM building, time formatting, messages.
// Type-checked (sync-server/admin-page/tsconfig.json, part of `npm run typecheck`): the `admin` calls below take
// their answer types from the server's routes (sync-server/http/admin-contract.ts), so a field the server renames
// fails the typecheck in the modules that read it.
/* global sessionStorage */

/** @typedef {import('../http/admin-contract.js').PassList} PassList */
/** @typedef {import('../http/admin-contract.js').IssuedPass} IssuedPass */
/** @typedef {import('../http/admin-contract.js').IssuePassBody} IssuePassBody */
/** @typedef {import('../http/admin-contract.js').RecolouredPass} RecolouredPass */
/** @typedef {import('../http/admin-contract.js').PassText} PassText */
/** @typedef {import('../http/admin-contract.js').DeviceList} DeviceList */
/** @typedef {import('../http/admin-contract.js').RolledToken} RolledToken */
/** @typedef {import('../http/admin-contract.js').EnrolmentList} EnrolmentList */
/** @typedef {import('../http/admin-contract.js').NewEnrolment} NewEnrolment */
/** @typedef {import('../http/admin-contract.js').Policy} Policy */
/** @typedef {import('../http/admin-contract.js').PolicyBody} PolicyBody */
/** @typedef {import('../http/admin-contract.js').AuditList} AuditList */
/** @typedef {import('../http/admin-contract.js').NewClaim} NewClaim */
/** @typedef {import('../http/admin-contract.js').NewClaimBody} NewClaimBody */
/** @typedef {import('../http/admin-contract.js').ClaimList} ClaimList */
/** @typedef {import('../http/admin-contract.js').RevokedClaim} RevokedClaim */
/** @typedef {import('../http/admin-contract.js').AlarmList} AlarmList */
/** @typedef {import('../http/admin-contract.js').AcknowledgedAlarm} AcknowledgedAlarm */
/** @typedef {import('../http/admin-contract.js').WebhookList} WebhookList */
/** @typedef {import('../http/admin-contract.js').NewWebhook} NewWebhook */
/** @typedef {import('../http/admin-contract.js').NewWebhookBody} NewWebhookBody */
/** @typedef {import('../http/admin-contract.js').DeliveryList} DeliveryList */
/** @typedef {import('../http/admin-contract.js').GateList} GateList */
/** @typedef {import('../http/admin-contract.js').RemoteResult} RemoteResult */

const TOKEN_KEY = 'gatecode.adminToken';

/** An element of the page by id (typed loosely: the checked part of this page is the API's shapes). */
export const $ = (id) => /** @type {any} */ (document.getElementById(id));

/** A refusal by the server: status, reason code and the server's finer detail when it gave one. */
export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {string} reason
   * @param {string} [detail]
   */
  constructor(status, reason, detail) {
    super(reason);
    this.status = status;
    this.reason = reason;
    this.detail = detail;
  }
}

export const session = {
  token: () => sessionStorage.getItem(TOKEN_KEY),
  set: (token) => sessionStorage.setItem(TOKEN_KEY, token),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

const changeListeners = [];
/** Register a reload to run after any change the page makes (the audit log uses it). */
export function onChange(fn) {
  changeListeners.push(fn);
}
export function changed() {
  for (const fn of changeListeners)
    Promise.resolve()
      .then(fn)
      .catch(() => {});
}

let onUnauthorized = () => {};
export function setUnauthorizedHandler(fn) {
  onUnauthorized = fn;
}

async function call(method, path, body, token = session.token()) {
  const headers = { authorization: `Bearer ${token ?? ''}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
    });
  } catch {
    throw new ApiError(0, 'NETWORK');
  }
  if (res.status === 401) onUnauthorized();
  if (!res.ok) {
    const payload = await res.json().catch(() => ({}));
    throw new ApiError(
      res.status,
      typeof payload.error === 'string' ? payload.error : `HTTP_${res.status}`,
      typeof payload.detail === 'string' ? payload.detail : undefined,
    );
  }
  return res;
}

const api = {
  get: async (path, token = undefined) => (await call('GET', path, undefined, token)).json(),
  post: async (path, body = {}) => (await call('POST', path, body)).json(),
  put: async (path, body) => (await call('PUT', path, body)).json(),
  del: async (path) => (await call('DELETE', path)).json(),
  blob: async (path) => (await call('GET', path)).blob(),
};

const passPath = (passId) => `/api/admin/passes/${encodeURIComponent(passId)}`;

/** Every admin call the page makes, one per route, each with the answer type the server's route gives. */
export const admin = {
  /** @type {(token?: string) => Promise<PassList>} */
  passes: (token) => api.get('/api/admin/passes', token),
  /** @type {(body: IssuePassBody) => Promise<IssuedPass>} */
  issuePass: (body) => api.post('/api/admin/passes', body),
  /** @type {(passId: string) => Promise<unknown>} */
  revokePass: (passId) => api.post(`${passPath(passId)}/revoke`),
  /** @type {(passId: string, colour: 'green' | 'yellow' | 'red') => Promise<RecolouredPass>} */
  recolourPass: (passId, colour) => api.post(`${passPath(passId)}/colour`, { colour }),
  /** @type {(passId: string) => Promise<PassText>} */
  passText: (passId) => api.get(`${passPath(passId)}/text`),
  /** @type {(passId: string, kind: 'png' | 'svg') => Promise<Blob>} */
  passQr: (passId, kind) => api.blob(`${passPath(passId)}/qr.${kind}`),
  /** @type {() => Promise<DeviceList>} */
  devices: () => api.get('/api/admin/devices'),
  /** @type {(deviceId: string, mode: 'handover' | 'immediate') => Promise<RolledToken>} */
  rollDevice: (deviceId, mode) => api.post(`/api/admin/devices/${encodeURIComponent(deviceId)}/roll`, { mode }),
  /** @type {(deviceId: string) => Promise<unknown>} */
  revokeDevice: (deviceId) => api.post(`/api/admin/devices/${encodeURIComponent(deviceId)}/revoke`),
  /** @type {() => Promise<EnrolmentList>} */
  enrolments: () => api.get('/api/admin/enrolments'),
  /** @type {(ttlSeconds: number) => Promise<NewEnrolment>} */
  newEnrolment: (ttlSeconds) => api.post('/api/admin/enrolments', { ttlSeconds }),
  /** @type {(id: string) => Promise<unknown>} */
  revokeEnrolment: (id) => api.post(`/api/admin/enrolments/${encodeURIComponent(id)}/revoke`),
  /** @type {() => Promise<Policy>} */
  policy: () => api.get('/api/admin/policy'),
  /** @type {(body: PolicyBody) => Promise<Policy>} */
  setPolicy: (body) => api.put('/api/admin/policy', body),
  /** @type {(body: NewClaimBody) => Promise<NewClaim>} */
  newClaim: (body) => api.post('/api/admin/claims', body),
  /** @type {() => Promise<ClaimList>} */
  claims: () => api.get('/api/admin/claims'),
  /** @type {(id: string) => Promise<RevokedClaim>} */
  revokeClaim: (id) => api.post(`/api/admin/claims/${encodeURIComponent(id)}/revoke`),
  /** @type {() => Promise<AuditList>} */
  audit: () => api.get('/api/admin/audit'),
  /** @type {(status: 'open' | 'acknowledged' | 'all') => Promise<AlarmList>} */
  alarms: (status) => api.get(`/api/admin/alarms?status=${encodeURIComponent(status)}`),
  /** @type {(id: number) => Promise<AcknowledgedAlarm>} */
  ackAlarm: (id) => api.post(`/api/admin/alarms/${encodeURIComponent(String(id))}/ack`),
  /** @type {() => Promise<WebhookList>} */
  webhooks: () => api.get('/api/admin/webhooks'),
  /** @type {(body: NewWebhookBody) => Promise<NewWebhook>} */
  addWebhook: (body) => api.post('/api/admin/webhooks', body),
  /** @type {(id: string) => Promise<unknown>} */
  removeWebhook: (id) => api.del(`/api/admin/webhooks/${encodeURIComponent(id)}`),
  /** @type {(id: string) => Promise<unknown>} */
  testWebhook: (id) => api.post(`/api/admin/webhooks/${encodeURIComponent(id)}/test`),
  /** @type {() => Promise<DeliveryList>} */
  deliveries: () => api.get('/api/admin/webhooks/deliveries?limit=50'),
  /** @type {() => Promise<GateList>} */
  gates: () => api.get('/api/admin/gates'),
  /** @type {(site: string, gate: string) => Promise<RemoteResult>} */
  openGate: (site, gate) => api.post('/api/admin/gates/open', { site, gate }),
  /** @type {(site: string, gate: string, on: boolean) => Promise<RemoteResult>} */
  lockdownGate: (site, gate, on) => api.post('/api/admin/gates/lockdown', { site, gate, on }),
};

const ERROR_TEXT = {
  NETWORK: 'The server cannot be reached.',
  UNAUTHORIZED: 'The admin token was refused.',
  TOKEN_INVALID: 'The admin token was refused.',
  FORBIDDEN: 'This token may not do that.',
  VALIDATION_FAILED: 'The server did not accept these values.',
  PASS_NOT_ACTIVE: 'That pass is no longer active.',
  PASS_NOT_FOUND: 'That pass does not exist.',
  DEVICE_NOT_FOUND: 'That device does not exist.',
  DEVICE_NOT_ACTIVE: 'That device is already revoked.',
  RATE_LIMITED: 'Too many requests: wait a moment and try again.',
  KEY_UNAVAILABLE: 'The key that signed this pass is no longer available.',
  TOO_MANY_KEYS: 'The bundle lists as many issuer keys as it can: revoke passes of old keys or let them expire.',
  EVENT_STORAGE_FULL: 'The server holds as many device events as it may.',
  CLAIM_NOT_FOUND: 'That claim link does not exist.',
  CLAIM_USED: 'That claim link was already used.',
  CLAIM_EXPIRED: 'That claim link has expired.',
  ALARM_NOT_FOUND: 'That alarm does not exist.',
  WEBHOOK_NOT_FOUND: 'That webhook does not exist.',
  TOO_MANY_WEBHOOKS: 'The server holds as many webhooks as it may: remove one first.',
  GATE_OFFLINE: 'That gate is offline: an offline gate cannot be opened remotely.',
  GATE_AMBIGUOUS: 'Several online gates have that name.',
  ROLE_FORBIDDEN: 'This token may only open gates (an operator token).',
};

/** Messages that name the server's detail (a date) and the way out. */
const DETAIL_TEXT = {
  BEYOND_SUNSET: (d) =>
    `The pass would outlive the deployment's sunset (${d}). Issue it for a shorter time, or move the sunset later under Policy.`,
  DEPLOYMENT_ENDED: (d) =>
    `The deployment's sunset (${d}) has passed: every gate has wiped its data and nothing more is signed. A new deployment needs a new server (a new root key) and new enrolments.`,
};

export function describeError(err) {
  if (err instanceof ApiError) {
    const withDetail = DETAIL_TEXT[err.reason];
    if (withDetail && err.detail) return `${withDetail(err.detail)} (${err.reason})`;
    const code = err.detail === undefined ? err.reason : `${err.reason}: ${err.detail}`;
    return `${ERROR_TEXT[err.reason] ?? 'The request failed.'} (${code})`;
  }
  return `Something went wrong: ${err instanceof Error ? err.message : String(err)}`;
}

export function notify(text) {
  $('error').textContent = '';
  $('notice').textContent = text;
}

export function fail(err) {
  $('notice').textContent = '';
  $('error').textContent = typeof err === 'string' ? err : describeError(err);
}

export function clearMessages() {
  $('notice').textContent = '';
  $('error').textContent = '';
}

/** Build an element: el('td', { className: 'x' }, 'text', child) */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'dataset') Object.assign(node.dataset, v);
    else if (k.startsWith('aria-') || k === 'role' || k === 'scope' || k === 'for') node.setAttribute(k, v);
    else node[k] = v;
  }
  for (const c of children) if (c !== null && c !== undefined) node.append(c);
  return node;
}

const two = (n) => String(n).padStart(2, '0');

export function formatTime(epoch) {
  if (epoch === null || epoch === undefined) return '—';
  const d = new Date(epoch * 1000);
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}`;
}

export function formatDuration(seconds) {
  if (seconds === null || seconds === undefined) return '—';
  const s = Math.abs(Math.round(seconds));
  const text =
    s < 90
      ? `${s} s`
      : s < 5400
        ? `${Math.round(s / 60)} min`
        : s < 172800
          ? `${(s / 3600).toFixed(1)} h`
          : `${(s / 86400).toFixed(1)} days`;
  return seconds < 0 ? `−${text}` : text;
}

export function formatAgo(epoch) {
  if (epoch === null || epoch === undefined) return 'never';
  return `${formatTime(epoch)} (${formatDuration(Math.floor(Date.now() / 1000) - epoch)} ago)`;
}

/** `<input type=datetime-local>` value ↔ epoch seconds, in the browser's time zone. */
export function toLocalInput(epoch) {
  const d = new Date(epoch * 1000);
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}T${two(d.getHours())}:${two(d.getMinutes())}`;
}

export function fromLocalInput(value) {
  const ms = new Date(value).getTime();
  return Number.isNaN(ms) ? null : Math.floor(ms / 1000);
}

export const COLOUR_NAME = { green: 'Green', yellow: 'Yellow', red: 'Red' };

/** A colour always shown as a swatch and its name, never as colour alone. */
export function colourLabel(colour) {
  return el(
    'span',
    { className: 'colour' },
    el('span', { className: `swatch swatch-${colour}`, 'aria-hidden': 'true' }),
    ` ${COLOUR_NAME[colour] ?? colour}`,
  );
}

export function shortId(id) {
  return id.length > 12 ? `${id.slice(0, 8)}…` : id;
}

/** Disable a button while `fn` runs, so a double click cannot send twice. */
export async function busy(button, fn) {
  button.disabled = true;
  try {
    return await fn();
  } finally {
    button.disabled = false;
  }
}
