import { describe, expect, it } from 'vitest';
import { parseEnrolUri, sameFingerprint } from '../../../device/sync/enrol-uri.js';
import { SyncError } from '../../../device/sync/errors.js';

const FP = 'ab12-cd34-ef56-7890';

describe('enrolment URI', () => {
  it('reads server URL, code and fingerprint', () => {
    const uri = `gatecode-enrol:?u=${encodeURIComponent('http://127.0.0.1:8470/')}&c=ABCD-EFGH-JKMN&fp=${FP}`;
    expect(parseEnrolUri(uri)).toEqual({ serverUrl: 'http://127.0.0.1:8470', code: 'ABCD-EFGH-JKMN', fingerprint: FP });
  });

  it('keeps a path prefix of the server URL and accepts surrounding white space and upper-case scheme', () => {
    const uri = `  GATECODE-ENROL:?fp=${FP}&c=ABCD-EFGH-JKMN&u=${encodeURIComponent('https://gates.example.org/gc/')}\n`;
    expect(parseEnrolUri(uri).serverUrl).toBe('https://gates.example.org/gc');
  });

  const bad: [string, string][] = [
    ['empty', ''],
    ['other scheme', `https://x/?u=http://a&c=ABCDEFGH&fp=${FP}`],
    ['no query', 'gatecode-enrol:'],
    ['no server', `gatecode-enrol:?c=ABCDEFGH&fp=${FP}`],
    ['no code', `gatecode-enrol:?u=http://a&fp=${FP}`],
    ['no fingerprint', 'gatecode-enrol:?u=http://a&c=ABCDEFGH'],
    ['server not a URL', `gatecode-enrol:?u=nothing&c=ABCDEFGH&fp=${FP}`],
    ['ftp server', `gatecode-enrol:?u=ftp://a&c=ABCDEFGH&fp=${FP}`],
    ['credentials in URL', `gatecode-enrol:?u=${encodeURIComponent('http://u:p@a')}&c=ABCDEFGH&fp=${FP}`],
    ['query in URL', `gatecode-enrol:?u=${encodeURIComponent('http://a/?x=1')}&c=ABCDEFGH&fp=${FP}`],
    ['code given twice', `gatecode-enrol:?u=http://a&c=ABCDEFGH&c=ZZZZZZZZ&fp=${FP}`],
    ['code with spaces', `gatecode-enrol:?u=http://a&c=AB+CD&fp=${FP}`],
    ['too long', `gatecode-enrol:?u=http://a&c=${'A'.repeat(3000)}&fp=${FP}`],
  ];
  it.each(bad)('refuses %s with BAD_ENROL_URI and never echoes the code', (_title, uri) => {
    let caught: unknown;
    try {
      parseEnrolUri(uri);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(SyncError);
    expect((caught as SyncError).code).toBe('BAD_ENROL_URI');
    expect((caught as SyncError).message).not.toContain('ABCDEFGH');
  });

  it('compares fingerprints ignoring case and separators, and nothing else', () => {
    expect(sameFingerprint('AB12-CD34', 'ab12cd34')).toBe(true);
    expect(sameFingerprint('ab:12 cd:34', 'AB12CD34')).toBe(true);
    expect(sameFingerprint('ab12cd34', 'ab12cd35')).toBe(false);
    expect(sameFingerprint('ab12cd34', 'ab12cd3')).toBe(false);
    expect(sameFingerprint('', '')).toBe(false);
  });
});
