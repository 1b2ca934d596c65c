// The enrolment code an administrator hands to an installer (as text or a QR code):
//   gatecode-enrol:?u=<server URL>&c=<one-time code>&fp=<root key fingerprint>
// It carries the root key's fingerprint so the device pins the right root even over an untrusted network.
import { SyncError } from './errors.js';

export const ENROL_SCHEME = 'gatecode-enrol:';

export interface EnrolCode {
  /** Base URL of the server, without a trailing slash (http or https). */
  readonly serverUrl: string;
  /** The one-time code. */
  readonly code: string;
  /** Fingerprint of the deployment root public key, as `rootFingerprint` prints it. */
  readonly fingerprint: string;
}

const MAX_URI_LENGTH = 2048;

/** Parse an enrolment URI; throws SyncError BAD_ENROL_URI naming the missing or wrong part (never echoing the code). */
export function parseEnrolUri(text: string): EnrolCode {
  const uri = text.trim();
  if (uri.length === 0 || uri.length > MAX_URI_LENGTH) throw bad('empty or too long');
  if (uri.slice(0, ENROL_SCHEME.length).toLowerCase() !== ENROL_SCHEME) {
    throw bad(`expected it to start with ${ENROL_SCHEME}`);
  }
  let rest = uri.slice(ENROL_SCHEME.length);
  if (rest.startsWith('//')) rest = rest.replace(/^\/\/[^?]*/, '');
  if (!rest.startsWith('?')) throw bad('no query part');
  const params = new URLSearchParams(rest.slice(1));
  for (const key of ['u', 'c', 'fp']) {
    if (params.getAll(key).length > 1) throw bad(`parameter "${key}" given twice`);
  }
  const serverUrl = params.get('u');
  const code = params.get('c');
  const fingerprint = params.get('fp');
  if (!serverUrl) throw bad('no server URL (u=)');
  if (!code) throw bad('no one-time code (c=)');
  if (!fingerprint) throw bad('no root key fingerprint (fp=)');
  let url: URL;
  try {
    url = new URL(serverUrl);
  } catch {
    throw bad('the server URL is not a URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw bad('the server URL must be http or https');
  if (url.username || url.password) throw bad('the server URL must not carry credentials');
  if (url.search || url.hash) throw bad('the server URL must not carry a query or fragment');
  if (!/^[\x21-\x7e]{4,256}$/.test(code)) throw bad('the one-time code has unexpected characters or length');
  if (!/^[\x21-\x7e]{4,256}$/.test(fingerprint)) throw bad('the fingerprint has unexpected characters or length');
  return { serverUrl: url.href.replace(/\/+$/, ''), code, fingerprint };
}

function bad(what: string): SyncError {
  return new SyncError('BAD_ENROL_URI', `enrolment code: ${what}`);
}

/** Compare fingerprints as a person would read them: case, spaces, colons and dashes do not matter. */
export function sameFingerprint(a: string, b: string): boolean {
  const norm = (s: string): string => s.toLowerCase().replace(/[\s:-]/g, '');
  const x = norm(a);
  const y = norm(b);
  if (x.length === 0 || x.length !== y.length) return false;
  let diff = 0;
  for (let i = 0; i < x.length; i++) diff |= x.charCodeAt(i) ^ y.charCodeAt(i);
  return diff === 0;
}
