// A small fixed sample of both corpora for decoder tests: frames the plain pass reads, and frames only an
// escalation pass reads (chosen once from a bench run on the full corpora, kept fixed so the test is fast and
// repeatable). The images are the committed sample in test/fixtures/corpus (see its SOURCES.md).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The committed corpus sample: qr/ (real photos) and gate/ (gate-camera frames), each with its manifest.json. */
export const FIXTURE_CORPUS = fileURLToPath(new URL('../../fixtures/corpus/', import.meta.url));
const FOLDER = { 'qr-corpus': 'qr', 'gate-corpus': 'gate' } as const;

export interface CorpusEntry {
  readonly corpus: 'qr-corpus' | 'gate-corpus';
  readonly file: string;
  readonly path: string;
  readonly expected: string;
  readonly corners?: readonly (readonly [number, number])[];
}

export const GATE_SAMPLE = [
  'images/ph-047909d62e.jpg',
  'images/ph-79708edbf5.jpg',
  'images/ph-9433c22049.png',
  'images/ph-f4a5d25364.png',
  'images/ph-b7889d4ec9.jpg',
  // read only after escalation in the bench
  'images/ph-06444ed807.jpg',
  'images/ph-12950bc92d.png',
  'images/ph-23af7012b3.jpg',
  'images/ph-55bf9d541a.jpg',
  'images/ph-a1971b8083.png',
];

export const PHOTO_SAMPLE = [
  'images/jsqr/end-to-end/0.png',
  'images/jsqr/end-to-end/emblem-patch.png',
  'images/jsqr/end-to-end/stickerbook-4.png',
  'images/zxing-cpp/qrcode-2/issue-709.webp',
  'images/zxing/qrcode-1/7.png',
  'images/zxing/qrcode-2/32.png',
  'images/zxing/qrcode-3/14.png',
  'images/zxing/qrcode-5/05.png',
  'images/zxing/qrcode-6/5.png',
  // read only after escalation in the bench
  'images/zxing/qrcode-2/28.png',
];

interface RawEntry {
  file: string;
  expected: string;
  params?: { geometry?: { code_corners_px?: [number, number][] } };
}

export function corpusEntries(corpus: CorpusEntry['corpus'], files: readonly string[]): CorpusEntry[] {
  const dir = `${FIXTURE_CORPUS}${FOLDER[corpus]}/`;
  const manifest = JSON.parse(readFileSync(`${dir}manifest.json`, 'utf8')) as RawEntry[];
  return files.map((file) => {
    const m = manifest.find((e) => e.file === file);
    if (!m) throw new Error(`${corpus}: ${file} not in the manifest`);
    const corners = m.params?.geometry?.code_corners_px;
    return { corpus, file, path: `${dir}${file}`, expected: m.expected, ...(corners ? { corners } : {}) };
  });
}
