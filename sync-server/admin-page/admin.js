// gatecode admin page: log in with the admin token (kept in sessionStorage for this tab only), then passes,
// devices, enrolment, policy and the audit log against the server's admin API. Plain modules, no build step.
import { loadDevices, loadEnrolments, setupDevices } from './devices.js';
import { loadGates, setupGates } from './gates.js';
import { loadPasses, setupPasses } from './passes.js';
import { loadAudit, loadPolicy, setupPolicy } from './policy.js';
import { $, admin, clearMessages, describeError, fail, notify, session, setUnauthorizedHandler } from './util.js';

function showLogin(message) {
  session.clear();
  $('app').hidden = true;
  $('nav').hidden = true;
  $('logout').hidden = true;
  $('login').hidden = false;
  if (message) fail(message);
  $('login-token').focus();
}

async function showApp() {
  $('login').hidden = true;
  $('app').hidden = false;
  $('nav').hidden = false;
  $('logout').hidden = false;
  const results = await Promise.allSettled([
    loadPasses(),
    loadDevices(),
    loadGates(),
    loadEnrolments(),
    loadPolicy(),
    loadAudit(),
  ]);
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) fail(failed.reason);
}

function setup() {
  setupPasses();
  setupDevices();
  setupGates();
  setupPolicy();
  setUnauthorizedHandler(() => showLogin('The admin token was refused: log in again.'));
  $('login-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const token = $('login-token').value.trim();
    try {
      await admin.passes(token);
      session.set(token);
      $('login-token').value = '';
      clearMessages();
      notify('Logged in.');
      await showApp();
      $('h-passes').focus();
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
  if (session.token()) showApp().catch(fail);
  else showLogin();
}

setup();
