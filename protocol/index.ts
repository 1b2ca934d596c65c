// The public face of protocol/: pure wire formats and their sign/verify; no I/O, nothing else of ours.
export * from './types.js';
export * from './errors.js';
export {
  decodePrivateKey,
  decodePublicKey,
  encodePrivateKey,
  encodePublicKey,
  generateSigningKey,
  kidFor,
  rootFingerprint,
  KID_BYTES,
  PUBLIC_KEY_BYTES,
} from './keys.js';
export type { SigningKey } from './keys.js';
export { issuePass } from './pass/issue.js';
export type { IssueInput } from './pass/issue.js';
export { verifyPass, DEFAULT_SKEW_SECONDS, MAX_PASS_CHARS, PASS_PREFIX } from './pass/verify.js';
export { evaluatePass } from './pass/evaluate.js';
export { VerifiedPassCache } from './pass/cache.js';
export type { VerifiedPass, VerifiedPassCacheOptions } from './pass/cache.js';
export { inspectPass } from './pass/inspect.js';
export type { PassInspection } from './pass/inspect.js';
export { signBundle, verifyBundle, readBundleUnverified, MAX_BUNDLE_BYTES, MAX_BUNDLE_ISSUERS } from './bundle.js';
export { signRevocations, verifyRevocations, readRevocationsUnverified, MAX_REVOCATIONS_BYTES } from './revocations.js';
export type { VerifyRevocationsOptions } from './revocations.js';
export { newLogId, isLogId, LOG_ID_BYTES } from './log-id.js';
export {
  documentHash,
  partitionOf,
  partitionRange,
  signManifest,
  signPartition,
  verifyManifest,
  verifyPartition,
  MAX_MANIFEST_BYTES,
  MAX_PARTITION_BYTES,
} from './revocation-partitions.js';
export type {
  ManifestEntry,
  RevocationManifest,
  RevocationPartition,
  VerifyManifestOptions,
  VerifyPartitionOptions,
} from './revocation-partitions.js';
export {
  checkPageSet,
  cutIntoPages,
  signRevocationPage,
  verifyRevocationPage,
  CTY_REVOCATION_PAGE,
  DELTA_PAGE_ENTRIES,
  MAX_PAGE_BYTES,
} from './revocation-pages.js';
export type { PageSetHead, RevocationPage, VerifyRevocationPageOptions } from './revocation-pages.js';
export { signFreshness, verifyFreshness, MAX_FRESHNESS_BYTES } from './freshness.js';
export type { VerifyFreshnessOptions } from './freshness.js';
export { isName as isValidName, MAX_SCOPE_SITES } from './internal/names.js';
export {
  checkHolderProof,
  presentHolderPass,
  presentationText,
  proofMessage,
  proofStep,
  splitPresentation,
  DEFAULT_PROOF_WINDOW_SECONDS,
  HOLDER_PREFIX,
  MAX_BOUND_PASS_CHARS,
  MAX_PRESENTED_CHARS,
  PROOF_STEP_SECONDS,
} from './holder/proof.js';
export type { HolderProof, Presentation } from './holder/proof.js';
export { hoursOpenAt, localTime, scheduleOpenAt, schedulesFor } from './hours/open.js';
export type { LocalTime } from './hours/open.js';
export { parseHoursJson, hoursToJson } from './hours/json.js';
export type { HoursParse, OpeningHoursJson, ScheduleJson } from './hours/json.js';
export {
  checkHours,
  hoursHint,
  isTimeZone,
  HOURS_PROBLEMS,
  MAX_HOURS_HOLIDAYS,
  MAX_HOURS_OVERRIDES,
  MAX_HOURS_RANGES_PER_DAY,
} from './hours/check.js';
export type { HoursProblem, HoursProblemCode } from './hours/check.js';
