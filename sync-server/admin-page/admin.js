// gatecode admin page: log in with the admin token (kept in sessionStorage for this tab only), then passes,
// devices, enrolment, policy and the audit log against the server's admin API. Plain modules, no build step.
import { loadClaims, setupClaims } from './claims.js';
import { loadAlarms, setupAlarms } from './alarms.js';
import { loadDevices, loadEnrolments, setupDevices } from './devices.js';
import { loadWebhooks, setupWebhooks } from './webhooks.js';
import { loadGates, setOperatorMode, setupGates } from './gates.js';
import { loadPasses, setupPasses } from './passes.js';
import { loadAudit, loadPolicy, setupPolicy } from './policy.js';
import { loadHours, setupHours } from './hours.js';
import {
  $,
  admin,
  ApiError,
  clearMessages,
  describeError,
  fail,
  notify,
  session,
  setUnauthorizedHandler,
} from './util.js';

function showLogin(message) {
  session.clear();
  $('app').hidden = true;
  $('nav').hidden = true;
  $('logout').hidden = true;
  $('login').hidden = false;
  if (message) fail(message);
  $('login-token').focus();
}

/**
 * The token's role: `admin`, or `operator` (it may only list and open gates: every other route answers 403
 * ROLE_FORBIDDEN). Any other refusal is thrown.
 */
async function roleOf(token) {
  try {
    await admin.passes(token);
    return 'admin';
  } catch (err) {
    if (err instanceof ApiError && err.reason === 'ROLE_FORBIDDEN') return 'operator';
    throw err;
  }
}

/** An operator sees only the gates online, with Open gate; an admin sees everything. */
function showRole(role) {
  const operator = role === 'operator';
  for (const section of $('app').querySelectorAll('section')) section.hidden = operator && section.id !== 'gates';
  for (const link of $('nav').querySelectorAll('li')) link.hidden = operator && !link.querySelector('a[href="#gates"]');
  setOperatorMode(operator);
}

async function showApp(role = 'admin') {
  $('login').hidden = true;
  $('app').hidden = false;
  $('nav').hidden = false;
  $('logout').hidden = false;
  showRole(role);
  if (role === 'operator') {
    await loadGates();
    return;
  }
  const results = await Promise.allSettled([
    loadAlarms(),
    loadPasses(),
    loadClaims(),
    loadDevices(),
    loadGates(),
    loadEnrolments(),
    loadPolicy(),
    loadHours(),
    loadWebhooks(),
    loadAudit(),
  ]);
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) fail(failed.reason);
}

function setup() {
  setupPasses();
  setupClaims();
  setupDevices();
  setupGates();
  setupPolicy();
  setupHours();
  setupAlarms();
  setupWebhooks();
  setUnauthorizedHandler(() => showLogin('The admin token was refused: log in again.'));
  $('login-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const token = $('login-token').value.trim();
    try {
      const role = await roleOf(token);
      session.set(token);
      $('login-token').value = '';
      clearMessages();
      notify(role === 'operator' ? 'Logged in as an operator: you may open gates.' : 'Logged in.');
      await showApp(role);
      $(role === 'operator' ? 'h-gates' : 'h-passes').focus();
    } catch (err) {
      fail(describeError(err));
      $('login-token').select();
    }
  });
  $('logout').addEventListener('click', () => {
    showLogin();
    clearMessages();
    notify('Logged out.');
  });
  if (session.token()) roleOf(session.token()).then(showApp).catch(fail);
  else showLogin();
}

setup();
