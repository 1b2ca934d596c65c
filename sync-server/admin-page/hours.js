// Opening hours: a default week, optional per-site and per-scope weeks, holidays, one time zone. The page keeps the
// hours in their written form (docs/protocol.md, _Opening hours_) and sends them whole with PUT /api/admin/policy.
import { $, admin, ApiError, busy, el, fail, notify } from './util.js';

const DAYS = [
  ['mon', 'Monday'],
  ['tue', 'Tuesday'],
  ['wed', 'Wednesday'],
  ['thu', 'Thursday'],
  ['fri', 'Friday'],
  ['sat', 'Saturday'],
  ['sun', 'Sunday'],
];

/** What each problem code of the server means for the person at the form. */
const PROBLEM_TEXT = {
  SHAPE: 'the hours are incomplete',
  TIME_ZONE: 'the time zone is not known (use a name such as Europe/Berlin)',
  TIME: 'a time is not valid',
  EMPTY_RANGE: 'a range starts and ends at the same time',
  OVERLAP: 'two ranges of one day overlap: merge them',
  ORDER: 'ranges are out of order',
  DATE: 'a holiday is not a valid date',
  DUPLICATE: 'a holiday or a schedule name appears twice',
  NAME: 'a site or scope name is not valid (letters, digits, . _ -; up to 32)',
  TOO_MANY: 'too many ranges, holidays or schedules (8 ranges a day, 64 holidays, 16 site and 16 scope schedules)',
};

/** @type {{ timeZone: string, schedules: Map<string, { weekly: Record<string, {from: string, to: string}[]>, holidays: string[] }> }} */
let state = { timeZone: '', schedules: new Map() };
let selected = 'default';

const emptySchedule = () => ({ weekly: Object.fromEntries(DAYS.map(([d]) => [d, []])), holidays: [] });

function fromJson(s) {
  const out = emptySchedule();
  for (const [d] of DAYS) {
    out.weekly[d] = (s.weekly?.[d] ?? []).map((r) => {
      const [from, to] = r.split('-');
      return { from, to: to === '24:00' ? '00:00' : to }; // a time input has no 24:00: 00:00 as an end is midnight
    });
  }
  out.holidays = [...(s.holidays ?? [])];
  return out;
}

function toJson(s) {
  const weekly = {};
  for (const [d] of DAYS) {
    weekly[d] = s.weekly[d].map((r) => (r.from === '00:00' && r.to === '00:00' ? '00:00-24:00' : `${r.from}-${r.to}`));
  }
  return { weekly, holidays: [...s.holidays] };
}

function browserZone() {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

function current() {
  return state.schedules.get(selected);
}

function labelOf(key) {
  if (key === 'default') return 'Default (every site)';
  const [kind, name] = key.split(':');
  return kind === 'site' ? `Site ${name}` : `Scope ${name}`;
}

function renderSchedules() {
  const keys = [...state.schedules.keys()];
  $('hours-schedule').replaceChildren(
    ...keys.map((k) => el('option', { value: k, selected: k === selected }, labelOf(k))),
  );
  $('hours-remove-schedule').hidden = selected === 'default';
}

function rangeRow(day, dayName, ranges, i) {
  const r = ranges[i];
  const n = i + 1;
  const time = (which, label) =>
    el('input', {
      type: 'time',
      value: r[which],
      required: true,
      'aria-label': `${dayName} range ${n} ${label}`,
      oninput: (e) => (r[which] = e.target.value),
    });
  return el(
    'li',
    { className: 'hours-range' },
    time('from', 'from'),
    el('span', { 'aria-hidden': 'true' }, '–'),
    time('to', 'to'),
    el(
      'button',
      {
        type: 'button',
        className: 'secondary',
        'aria-label': `Remove ${dayName} range ${n}`,
        onclick: () => {
          ranges.splice(i, 1);
          renderWeek();
        },
      },
      'Remove',
    ),
  );
}

function renderWeek() {
  const s = current();
  const rows = DAYS.map(([day, dayName]) => {
    const ranges = s.weekly[day];
    const list = el('ul', { className: 'hours-ranges' }, ...ranges.map((_, i) => rangeRow(day, dayName, ranges, i)));
    return el(
      'div',
      { className: 'hours-day', role: 'group', 'aria-labelledby': `hours-day-${day}` },
      el('span', { id: `hours-day-${day}`, className: 'hours-day-name' }, dayName),
      ranges.length ? list : el('span', { className: 'help' }, 'Closed'),
      el(
        'button',
        {
          type: 'button',
          className: 'secondary',
          'aria-label': `Add a range on ${dayName}`,
          onclick: () => {
            const last = ranges[ranges.length - 1];
            ranges.push(last ? { from: last.to, to: last.to } : { from: '08:00', to: '18:00' });
            renderWeek();
          },
        },
        'Add range',
      ),
    );
  });
  $('hours-week').replaceChildren(...rows);
}

function renderHolidays() {
  const s = current();
  const items = s.holidays.map((d, i) =>
    el(
      'li',
      {},
      el('time', { dateTime: d }, d),
      ' ',
      el(
        'button',
        {
          type: 'button',
          className: 'secondary',
          'aria-label': `Remove holiday ${d}`,
          onclick: () => {
            s.holidays.splice(i, 1);
            renderHolidays();
          },
        },
        'Remove',
      ),
    ),
  );
  $('hours-holidays').replaceChildren(...(items.length ? items : [el('li', { className: 'help' }, 'No holidays.')]));
}

function render() {
  const on = $('hours-enabled').checked;
  $('hours-editor').hidden = !on;
  $('hours-zone').value = state.timeZone;
  renderSchedules();
  renderWeek();
  renderHolidays();
}

export async function loadHours() {
  const policy = await admin.policy();
  const h = policy.hours;
  state = {
    timeZone: h?.timeZone ?? browserZone(),
    schedules: new Map([['default', h ? fromJson(h) : emptySchedule()]]),
  };
  for (const [name, s] of Object.entries(h?.sites ?? {})) state.schedules.set(`site:${name}`, fromJson(s));
  for (const [name, s] of Object.entries(h?.scopes ?? {})) state.schedules.set(`scope:${name}`, fromJson(s));
  selected = 'default';
  $('hours-enabled').checked = h !== null && h !== undefined;
  render();
}

function body() {
  if (!$('hours-enabled').checked) return { hours: null };
  const sites = {};
  const scopes = {};
  for (const [key, s] of state.schedules) {
    if (key === 'default') continue;
    const [kind, name] = key.split(':');
    (kind === 'site' ? sites : scopes)[name] = toJson(s);
  }
  return { hours: { timeZone: state.timeZone.trim(), ...toJson(state.schedules.get('default')), sites, scopes } };
}

/** The server's `hours:CODE@path,…` as a sentence. */
export function describeHoursProblems(detail) {
  const codes = [
    ...new Set(
      detail
        .slice('hours:'.length)
        .split(',')
        .map((p) => p.split('@')[0]),
    ),
  ];
  return `The opening hours were not saved: ${codes.map((c) => PROBLEM_TEXT[c] ?? c).join('; ')}. (${detail})`;
}

export function setupHours() {
  const zones = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
  $('hours-zones').replaceChildren(...zones.map((z) => el('option', { value: z })));
  $('hours-enabled').addEventListener('change', render);
  $('hours-zone').addEventListener('input', (e) => (state.timeZone = e.target.value));
  $('hours-schedule').addEventListener('change', (e) => {
    selected = e.target.value;
    render();
  });
  $('hours-remove-schedule').addEventListener('click', () => {
    state.schedules.delete(selected);
    selected = 'default';
    render();
  });
  $('hours-add-schedule').addEventListener('click', () => {
    const name = $('hours-new-name').value.trim();
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$/.test(name)) {
      fail('Name the site or scope: 1–32 letters, digits, ".", "_" or "-".');
      return;
    }
    const key = `${$('hours-new-kind').value}:${name}`;
    if (!state.schedules.has(key)) state.schedules.set(key, emptySchedule());
    selected = key;
    $('hours-new-name').value = '';
    render();
  });
  $('hours-holiday-add').addEventListener('click', () => {
    const d = $('hours-holiday-new').value;
    if (!/^\d{4}-\d{2}-\d{2}$/.test(d)) {
      fail('Pick a date to add as a holiday.');
      return;
    }
    const s = current();
    if (!s.holidays.includes(d)) s.holidays = [...s.holidays, d].sort();
    $('hours-holiday-new').value = '';
    renderHolidays();
  });
  const form = $('hours-form');
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      await busy(form.querySelector('button[type=submit]'), () => admin.setPolicy(body()));
      notify(
        $('hours-enabled').checked
          ? 'Opening hours saved. Devices pick them up at their next sync.'
          : 'Opening hours removed: gates are open at all times again.',
      );
      await loadHours();
    } catch (err) {
      if (err instanceof ApiError && err.reason === 'VALIDATION_FAILED' && err.detail?.startsWith('hours:'))
        fail(describeHoursProblems(err.detail));
      else fail(err);
    }
  });
}
