import { describe, expect, it } from 'vitest';
import { areaLogger, logHash } from '../../device/log.js';
import { collectingLog } from '../support/log.js';

describe('device log', () => {
  it('carries the area and drops payload fields wherever a caller puts them', () => {
    const { log, lines } = collectingLog();
    const gate = areaLogger(log, 'pipeline');
    gate.info(
      {
        text: 'GC1:SECRET',
        passId: 'feedfacefeedface',
        pass: logHash('0123456789abcdef0123'),
        nested: { payload: 'GC1:X', claims: { passId: 'y' } },
      },
      'decision',
    );
    expect(lines).toHaveLength(1);
    const line = lines[0] as Record<string, unknown>;
    expect(line['area']).toBe('pipeline');
    expect(line['pass']).toBe('0123456789abcdef');
    expect(JSON.stringify(line)).not.toMatch(/GC1:|feedface|"y"/);
  });

  it('shortens a keyed hash and passes null through', () => {
    expect(logHash('f'.repeat(32))).toHaveLength(16);
    expect(logHash(null)).toBeNull();
  });
});
