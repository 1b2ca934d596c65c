// Webhooks: add one (URL and event types; its signing secret is shown once), test or remove it, and the delivery
// log with every attempt's HTTP status and time.
/* global confirm */
import { $, admin, busy, changed, el, fail, formatTime, notify } from './util.js';

const EVENTS = [
  ['alarm.raised', 'Alarm raised'],
  ['alarm.cleared', 'Alarm cleared'],
  ['alarm.acknowledged', 'Alarm acknowledged'],
  ['pass.revoked', 'Pass revoked'],
  ['device.enrolled', 'Device enrolled'],
  ['device.revoked', 'Device revoked'],
];

export async function loadWebhooks() {
  const [{ webhooks }, { deliveries }] = await Promise.all([admin.webhooks(), admin.deliveries()]);
  const rows = webhooks.map(hookRow);
  $('webhook-rows').replaceChildren(
    ...(rows.length ? rows : [el('tr', {}, el('td', { colSpan: 4 }, 'No webhooks yet.'))]),
  );
  const log = deliveries.map((d) =>
    el(
      'tr',
      { dataset: { deliveryStatus: d.status } },
      el('td', { className: 'nowrap' }, formatTime(d.createdAt)),
      el('td', {}, el('code', {}, d.hookId)),
      el('td', {}, d.eventType),
      el(
        'td',
        {},
        el('span', { className: `status status-${d.status === 'delivered' ? 'active' : 'revoked'}` }, d.status),
      ),
      el(
        'td',
        {},
        d.log.length ? d.log.map((a) => `${a.statusCode ?? a.error} (${a.latencyMs} ms)`).join(', ') : 'not tried yet',
      ),
    ),
  );
  $('delivery-rows').replaceChildren(
    ...(log.length ? log : [el('tr', {}, el('td', { colSpan: 5 }, 'Nothing delivered yet.'))]),
  );
}

function hookRow(w) {
  const test = el('button', { type: 'button', className: 'secondary', 'aria-label': `Test webhook ${w.id}` }, 'Test');
  test.addEventListener('click', () => run(test, () => admin.testWebhook(w.id), `Test delivery queued for ${w.id}.`));
  const remove = el(
    'button',
    { type: 'button', className: 'danger', 'aria-label': `Remove webhook ${w.id}` },
    'Remove',
  );
  remove.addEventListener('click', () => {
    if (confirm(`Remove webhook ${w.id}? Deliveries not yet made are dropped.`))
      void run(remove, () => admin.removeWebhook(w.id), `Webhook ${w.id} removed.`);
  });
  return el(
    'tr',
    { dataset: { hookId: w.id } },
    el('td', {}, el('code', {}, w.id)),
    el('td', { className: 'details' }, w.url),
    el('td', {}, w.events.join(', ')),
    el('td', {}, el('div', { className: 'row-actions' }, test, remove)),
  );
}

async function run(button, fn, message) {
  try {
    await busy(button, fn);
    notify(message);
    changed();
    await loadWebhooks();
  } catch (err) {
    fail(err);
  }
}

export function setupWebhooks() {
  $('webhook-events').append(
    ...EVENTS.map(([value, text]) =>
      el('label', { className: 'choice' }, el('input', { type: 'checkbox', name: 'events', value }), ` ${text}`),
    ),
  );
  const form = $('webhook-form');
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const events = [...form.querySelectorAll('input[name=events]:checked')].map((i) => i.value);
    if (events.length === 0) {
      fail('Choose at least one event.');
      return;
    }
    try {
      const out = await busy(form.querySelector('button[type=submit]'), () =>
        admin.addWebhook({ url: $('webhook-url').value.trim(), events }),
      );
      $('webhook-secret-text').value = out.secret;
      $('webhook-secret').hidden = false;
      $('webhook-secret').focus();
      form.reset();
      notify(`Webhook ${out.hook.id} added. Copy its signing secret now: it is not shown again.`);
      changed();
      await loadWebhooks();
    } catch (err) {
      fail(err);
    }
  });
  $('deliveries-refresh').addEventListener('click', () => loadWebhooks().catch(fail));
}
