// The device's side of a token roll (server: sync-server/device-tokens.ts). An answer said the server wants this
// token rolled: fetch the new token with the old one, store it (one state row: the old token or the new one,
// never neither), then use it once, which tells the server to retire the old one. Any step may fail or the
// process may die in between: the old token works until the new one has been used, so the next cycle starts over
// (with the old token: a new token again; with the new one: the roll completes).
import { writeDeviceToken } from '../trust/enrolment.js';
import type { DeviceApi } from './http.js';
import type { SyncLogger, SyncStore } from './types.js';

export interface TokenRollDeps {
  /** The API with the token in use, after an answer said `Gatecode-Token-Roll: pending`. */
  readonly api: DeviceApi;
  /** The same API with another token. */
  readonly withToken: (token: string) => DeviceApi;
  readonly store: Pick<SyncStore, 'setState'>;
  readonly log: SyncLogger;
}

/** Returns true when the device now holds and has used its new token. */
export async function completeTokenRoll(deps: TokenRollDeps): Promise<boolean> {
  const answer = await deps.api.exchangeToken();
  if (answer.status !== 'issued') return false;
  writeDeviceToken(deps.store, answer.token);
  deps.log.info({}, 'device token rolled: new token stored');
  // Its first use completes the roll on the server; were this answer lost, the next cycle's requests do it.
  await deps.withToken(answer.token).exchangeToken();
  return true;
}
