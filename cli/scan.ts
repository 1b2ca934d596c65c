// Placeholder until this command's issue lands.
import { UsageError } from './usage.js';

export async function run(_argv: string[]): Promise<number> {
  throw new UsageError('not yet implemented');
}
