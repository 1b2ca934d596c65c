import { describe, expect, it } from 'vitest';
import { API_ERROR_CODES, errorBodySchema } from '../../protocol/api/errors.js';
import { DOMAIN_CODES, DomainError } from '../../sync-server/errors.js';
import { ERROR_STATUS, errorAnswer, HttpError } from '../../sync-server/http/errors.js';

describe('error table', () => {
  it('gives every code of the API a status, and nothing else', () => {
    expect(Object.keys(ERROR_STATUS).sort()).toEqual([...API_ERROR_CODES].sort());
    for (const code of DOMAIN_CODES) expect(ERROR_STATUS[code]).toBeGreaterThanOrEqual(400);
  });

  it('maps a domain error to its status and the stable body, detail included', () => {
    expect(errorAnswer(new DomainError('VALIDATION_FAILED', { detail: 'sunset' }))).toEqual({
      status: 400,
      body: { error: 'VALIDATION_FAILED', detail: 'sunset' },
      retryAfter: undefined,
    });
    expect(errorAnswer(new DomainError('ENROLMENT_EXPIRED'))).toEqual({
      status: 410,
      body: { error: 'ENROLMENT_EXPIRED' },
      retryAfter: undefined,
    });
  });

  it('carries Retry-After for an edge refusal and leaves foreign errors to the caller', () => {
    expect(errorAnswer(new HttpError('RATE_LIMITED', { retryAfter: 3 }))).toMatchObject({ status: 429, retryAfter: 3 });
    expect(errorAnswer(new Error('boom'))).toBeNull();
    expect(errorAnswer('PASS_NOT_FOUND')).toBeNull();
  });

  it('every body it writes is one a client reads', () => {
    for (const code of DOMAIN_CODES) {
      const answer = errorAnswer(new DomainError(code, { detail: 'events.0.reason' }));
      expect(errorBodySchema.parse(answer?.body)).toEqual({ error: code, detail: 'events.0.reason' });
    }
  });
});
