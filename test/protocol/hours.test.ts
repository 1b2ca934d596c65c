import { describe, expect, it } from 'vitest';
import {
  hoursOpenAt,
  hoursToJson,
  isProtocolError,
  localTime,
  parseHoursJson,
  readBundleUnverified,
  signBundle,
  verifyBundle,
} from '../../protocol/index.js';
import type { OpeningHours, OpeningHoursJson } from '../../protocol/index.js';
import { testKey } from '../vectors/fixed-keys.js';
import { mainBundle } from '../vectors/pass-vectors.js';

const root = testKey('root');
const at = (iso: string): number => Date.parse(iso) / 1000;

function hours(json: unknown): OpeningHours {
  const r = parseHoursJson(json);
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.hours;
}

function codes(json: unknown): string[] {
  const r = parseHoursJson(json);
  return r.ok ? [] : r.problems.map((p) => `${p.code}@${p.path}`);
}

const office = hours({
  timeZone: 'Europe/Berlin',
  weekly: { mon: ['08:00-18:00'], tue: ['08:00-12:00', '13:00-18:00'], fri: ['22:00-06:00'], sun: ['22:00-02:00'] },
  holidays: ['2026-12-25'],
});
const open = (h: OpeningHours, iso: string, site = 'main', scope: 'all' | string[] = 'all'): boolean =>
  hoursOpenAt(h, at(iso), site, scope);

describe('opening hours: local time', () => {
  it('reads the wall clock of the zone, weekday Monday = 0', () => {
    expect(localTime(at('2026-12-07T07:30:00Z'), 'Europe/Berlin')).toEqual({
      date: '2026-12-07',
      weekday: 0,
      minute: 8 * 60 + 30,
    });
    expect(localTime(at('2026-12-06T23:30:00Z'), 'UTC')).toEqual({ date: '2026-12-06', weekday: 6, minute: 1410 });
    expect(localTime(at('2026-12-06T23:30:00Z'), 'America/New_York').minute).toBe(18 * 60 + 30);
  });
});

describe('opening hours: weekly ranges', () => {
  it('opens at the first minute of a range and closes at its end (winter, UTC+1)', () => {
    expect(open(office, '2026-12-07T06:59:59Z')).toBe(false); // Mon 07:59:59
    expect(open(office, '2026-12-07T07:00:00Z')).toBe(true); // Mon 08:00
    expect(open(office, '2026-12-07T16:59:59Z')).toBe(true); // Mon 17:59:59
    expect(open(office, '2026-12-07T17:00:00Z')).toBe(false); // Mon 18:00
    expect(open(office, '2026-12-08T11:30:00Z')).toBe(false); // Tue 12:30, the lunch gap
    expect(open(office, '2026-12-08T12:00:00Z')).toBe(true); // Tue 13:00
    expect(open(office, '2026-12-09T09:00:00Z')).toBe(false); // Wed: no ranges
  });

  it('an overnight range runs into the next morning, Sunday night into Monday too', () => {
    expect(open(office, '2026-12-11T20:59:00Z')).toBe(false); // Fri 21:59
    expect(open(office, '2026-12-11T21:00:00Z')).toBe(true); // Fri 22:00
    expect(open(office, '2026-12-12T04:59:00Z')).toBe(true); // Sat 05:59
    expect(open(office, '2026-12-12T05:00:00Z')).toBe(false); // Sat 06:00
    expect(open(office, '2026-12-14T00:59:00Z')).toBe(true); // Mon 01:59, from Sunday 22:00
    expect(open(office, '2026-12-14T01:00:00Z')).toBe(false); // Mon 02:00
  });

  it('a holiday closes the ranges that start on it, not the morning of a range begun the evening before', () => {
    expect(open(office, '2026-12-21T09:00:00Z')).toBe(true); // an ordinary Monday
    const h = hours({ ...hoursToJson(office), holidays: ['2026-12-11', '2026-12-19'] });
    expect(open(h, '2026-12-11T22:00:00Z')).toBe(false); // Fri 23:00 on the holiday
    expect(open(h, '2026-12-12T03:00:00Z')).toBe(false); // Sat 04:00, the tail of the holiday's range
    expect(open(h, '2026-12-19T03:00:00Z')).toBe(true); // Sat 04:00 on a holiday, Friday's range (18th)
    const monday = hours({ ...hoursToJson(office), holidays: ['2026-12-21'] });
    expect(open(monday, '2026-12-21T09:00:00Z')).toBe(false); // a Monday holiday: no office hours
    expect(open(monday, '2026-12-21T00:30:00Z')).toBe(true); // but Sunday's night range still runs to 02:00
    expect(open(office, '2026-12-25T22:00:00Z')).toBe(false); // its evening range is closed
  });
});

describe('opening hours: daylight saving (Europe/Berlin)', () => {
  const sun = (ranges: string[]): OpeningHours => hours({ timeZone: 'Europe/Berlin', weekly: { sun: ranges } });

  it('spring forward (2026-03-29, 02:00 → 03:00): the skipped hour never occurs', () => {
    expect(localTime(at('2026-03-29T00:59:59Z'), 'Europe/Berlin').minute).toBe(119); // 01:59:59 CET
    expect(localTime(at('2026-03-29T01:00:00Z'), 'Europe/Berlin').minute).toBe(180); // 03:00 CEST
    const endsInGap = sun(['01:00-02:30']);
    expect(open(endsInGap, '2026-03-29T00:59:59Z')).toBe(true);
    expect(open(endsInGap, '2026-03-29T01:00:00Z')).toBe(false); // the clock jumped past the end
    const startsInGap = sun(['02:30-04:00']);
    expect(open(startsInGap, '2026-03-29T00:59:59Z')).toBe(false);
    expect(open(startsInGap, '2026-03-29T01:00:00Z')).toBe(true); // opens at the jump
    const morning = sun(['09:00-10:00']);
    expect(open(morning, '2026-03-29T06:59:00Z')).toBe(false); // 08:59 CEST
    expect(open(morning, '2026-03-29T07:00:00Z')).toBe(true); // 09:00 CEST = 07:00 UTC (not 08:00)
  });

  it('fall back (2026-10-25, 03:00 → 02:00): the repeated hour is inside a range both times', () => {
    const night = sun(['02:00-02:30']);
    expect(open(night, '2026-10-25T00:10:00Z')).toBe(true); // 02:10 CEST
    expect(open(night, '2026-10-25T00:40:00Z')).toBe(false); // 02:40 CEST
    expect(open(night, '2026-10-25T01:10:00Z')).toBe(true); // 02:10 CET, again
    expect(open(night, '2026-10-25T01:40:00Z')).toBe(false);
    const morning = sun(['09:00-10:00']);
    expect(open(morning, '2026-10-25T07:59:00Z')).toBe(false); // 08:59 CET
    expect(open(morning, '2026-10-25T08:00:00Z')).toBe(true); // 09:00 CET = 08:00 UTC
  });
});

describe('opening hours: sites and scopes', () => {
  const h = hours({
    timeZone: 'UTC',
    weekly: { mon: ['09:00-17:00'] },
    sites: { north: { weekly: { mon: ['12:00-13:00'] } } },
    scopes: { staff: { weekly: { mon: ['00:00-24:00'] } }, cleaners: { weekly: { mon: ['18:00-20:00'] } } },
  });
  const mon = (hhmm: string): string => `2026-12-07T${hhmm}:00Z`;

  it('a site schedule replaces the default at that site only', () => {
    expect(open(h, mon('10:00'), 'main')).toBe(true);
    expect(open(h, mon('10:00'), 'north')).toBe(false);
    expect(open(h, mon('12:30'), 'north')).toBe(true);
  });

  it('a scope schedule replaces the site one for passes that list it; any listed scope that is open opens', () => {
    expect(open(h, mon('03:00'), 'north', ['north', 'staff'])).toBe(true);
    expect(open(h, mon('19:00'), 'main', ['main', 'cleaners'])).toBe(true);
    expect(open(h, mon('10:00'), 'main', ['main', 'cleaners'])).toBe(false); // not the default's hours
    expect(open(h, mon('19:00'), 'main', ['main', 'cleaners', 'staff'])).toBe(true);
    expect(open(h, mon('10:00'), 'main', ['main'])).toBe(true); // no scope schedule: the default
    expect(open(h, mon('03:00'), 'main', 'all')).toBe(false);
  });
});

describe('opening hours: written form', () => {
  it('sorts ranges, holidays and names; 00:00 as an end is midnight; round-trips', () => {
    const h = hours({
      timeZone: 'UTC',
      weekly: { mon: ['13:00-00:00', '08:00-12:00'] },
      holidays: ['2026-12-31', '2026-12-24'],
      scopes: { zz: { weekly: {} }, aa: { weekly: {} } },
    });
    expect(h.weekly.mon).toEqual([
      { from: 480, to: 720 },
      { from: 780, to: 1440 },
    ]);
    expect(h.holidays).toEqual(['2026-12-24', '2026-12-31']);
    expect(h.scopes.map((s) => s.name)).toEqual(['aa', 'zz']);
    expect(hours(hoursToJson(h))).toEqual(h);
    expect(hoursToJson(h).weekly.mon).toEqual(['08:00-12:00', '13:00-24:00']);
  });

  it('reports every problem at once, each with a code and a path', () => {
    expect(
      codes({
        timeZone: 'Mars/Olympus',
        weekly: { mon: ['08:00-12:00', '11:00-13:00'], tue: ['8-12'], wed: ['10:00-10:00'], xyz: [] },
        holidays: ['2026-02-30', '2026-12-24', '2026-12-24'],
        scopes: { 'bad name': { weekly: {} } },
        colour: 'green',
      }).sort(),
    ).toEqual(
      [
        'DATE@holidays[0]',
        'DUPLICATE@holidays',
        'EMPTY_RANGE@weekly.wed[0]',
        'NAME@scopes[0].name',
        'OVERLAP@weekly.mon',
        'SHAPE@hours',
        'SHAPE@weekly',
        'TIME@weekly.tue[0]',
        'TIME_ZONE@timeZone',
      ].sort(),
    );
  });

  it('an overnight range must be the day’s last; limits hold', () => {
    expect(codes({ timeZone: 'UTC', weekly: { fri: ['22:00-06:00', '23:00-23:30'] } })).toEqual(['OVERLAP@weekly.fri']);
    expect(codes({ timeZone: 'UTC', weekly: { fri: ['00:00-24:00'] } })).toEqual([]);
    expect(codes({ timeZone: 'UTC', weekly: { fri: ['24:00-01:00'] } })).toEqual(['TIME@weekly.fri[0]']);
    const nine = Array.from({ length: 9 }, (_, i) => `0${i}:00-0${i}:30`);
    expect(codes({ timeZone: 'UTC', weekly: { mon: nine } })).toEqual(['TOO_MANY@weekly.mon']);
    expect(codes('08:00')).toContain('SHAPE@hours');
    expect(codes({ weekly: {} })).toEqual(['TIME_ZONE@timeZone']);
  });
});

describe('opening hours in the signed bundle', () => {
  const withHours = (h: OpeningHours) => {
    const b = mainBundle();
    return { ...b, policy: { ...b.policy, hours: h } };
  };

  it('round-trips through signing and verification', () => {
    const h = hours({
      timeZone: 'Europe/Berlin',
      weekly: { mon: ['08:00-18:00'], sun: ['22:00-02:00'] },
      holidays: ['2026-12-25'],
      sites: { north: { weekly: { sat: ['10:00-14:00'] }, holidays: ['2026-12-24'] } },
      scopes: { staff: { weekly: { mon: ['00:00-24:00'] } } },
    });
    const bundle = withHours(h);
    expect(verifyBundle(signBundle(bundle, root), root.publicKey)).toEqual(bundle);
  });

  it('a bundle without hours has no hours field and the same bytes as before the field existed', () => {
    const b = mainBundle();
    const bytes = signBundle(b, root);
    const read = readBundleUnverified(bytes).bundle;
    expect('hours' in read.policy).toBe(false);
    expect(Buffer.from(bytes).includes(Buffer.from('hours'))).toBe(false);
    expect(Buffer.from(signBundle(withHours(office), root)).includes(Buffer.from('hours'))).toBe(true);
  });

  it('refuses hours out of canonical order or out of bounds (BAD_CLAIMS)', () => {
    const reason = (h: OpeningHours): string => {
      try {
        signBundle(withHours(h), root);
        return 'OK';
      } catch (err) {
        return isProtocolError(err) ? err.code : String(err);
      }
    };
    const unsorted: OpeningHours = {
      ...office,
      weekly: { ...office.weekly, tue: [...office.weekly.tue].reverse() },
    };
    expect(reason(unsorted)).toBe('BAD_CLAIMS');
    expect(reason({ ...office, holidays: ['2026-12-26', '2026-12-25'] })).toBe('BAD_CLAIMS');
    expect(reason({ ...office, timeZone: 'Nowhere/Else' })).toBe('BAD_CLAIMS');
    expect(reason({ ...office, weekly: { ...office.weekly, mon: [{ from: 0, to: 1441 }] } })).toBe('BAD_CLAIMS');
    expect(reason(office)).toBe('OK');
  });

  it('JSON written for the admin API reads back to the same hours', () => {
    const json: OpeningHoursJson = hoursToJson(office);
    expect(hours(JSON.parse(JSON.stringify(json)))).toEqual(office);
  });
});
