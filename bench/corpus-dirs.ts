// Which corpus folders a benchmark reads. By default the sample committed under test/fixtures/corpus (so a fresh
// clone can run every bench); `--corpus DIR` names any folder laid out like the full corpora: a manifest.json
// array of {file, expected, ...} with `file` relative to the folder. A manifest whose entries carry a `tier` is a
// gate-camera corpus; one whose entries carry a `labelOrigin` is a real-photo corpus.
import fs from 'node:fs';
import path from 'node:path';

export const SAMPLE_ROOT = path.resolve(import.meta.dirname, '../test/fixtures/corpus');
export const SAMPLE_QR = path.join(SAMPLE_ROOT, 'qr');
export const SAMPLE_GATE = path.join(SAMPLE_ROOT, 'gate');

export type CorpusKind = 'photos' | 'gate';

export interface ManifestEntry {
  file: string;
  expected: string;
  /** gate corpora */
  tier?: string;
  params?: { geometry?: { code_corners_px?: [number, number][] } };
  /** photo corpora */
  labelOrigin?: string;
}

export interface Corpus {
  /** The folder as the user named it (or the sample's path relative to the working directory). */
  name: string;
  dir: string;
  kind: CorpusKind;
  /** true for the committed sample: its rates over-weight hard images and are not the corpus's rates. */
  sample: boolean;
  entries: ManifestEntry[];
}

/** Reads a corpus folder's manifest; throws an Error that says what is wrong and what was expected. */
export function openCorpus(dir: string): Corpus {
  const abs = path.resolve(dir);
  const file = path.join(abs, 'manifest.json');
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(
      `--corpus ${dir}: cannot read ${file} (${(e as Error).message}); a corpus folder holds a manifest.json`,
      {
        cause: e,
      },
    );
  }
  const ok = (x: unknown): x is ManifestEntry =>
    typeof x === 'object' &&
    x !== null &&
    typeof (x as ManifestEntry).file === 'string' &&
    typeof (x as ManifestEntry).expected === 'string';
  if (!Array.isArray(raw) || raw.length === 0 || !raw.every(ok)) {
    throw new Error(`--corpus ${dir}: manifest.json must be a non-empty array of {file, expected, ...} entries`);
  }
  const kind: CorpusKind | null = raw.every((e) => typeof e.tier === 'string')
    ? 'gate'
    : raw.every((e) => typeof e.labelOrigin === 'string')
      ? 'photos'
      : null;
  if (!kind) {
    throw new Error(`--corpus ${dir}: entries need a "tier" (gate frames) or a "labelOrigin" (photos) each`);
  }
  const inSample = path.relative(SAMPLE_ROOT, abs);
  const sample = !inSample.startsWith('..') && !path.isAbsolute(inSample);
  return { name: sample ? path.relative(process.cwd(), abs) || '.' : dir, dir: abs, kind, sample, entries: raw };
}

/** "test/fixtures/corpus/gate (17 gate frames, committed sample)" */
export function describeCorpus(c: Corpus): string {
  return `${c.name} (${c.entries.length} ${c.kind === 'gate' ? 'gate frames' : 'photos'}${c.sample ? ', committed sample' : ''})`;
}
