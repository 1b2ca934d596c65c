// The demo's camera film: each pass rendered as a phone held up to the gate camera (a few takes with different
// tilt, blur, noise and glare, as a hand moves), then empty frames while the next person steps up. The plan
// remembers which pass each frame shows, so a verdict can be matched to the pass that was in view.
import { renderPhoneScene } from '../hardware/camera/scene.js';
import type { GreyFrame } from '../hardware/camera/types.js';

type Still = Pick<GreyFrame, 'width' | 'height' | 'data'>;

export interface FramePlan {
  readonly frames: readonly Still[];
  /** Index of the pass in view at this frame (by the camera's running frame number), or null between passes. */
  passAt(seq: number): number | null;
  /** Frames of the pass with this index: [first, last]. */
  span(index: number): readonly [number, number];
}

export interface PlanOptions {
  /** Frames each pass stays in view (default 15: 1 s at 15 frames/s). */
  readonly framesPerPass?: number;
  /** Empty frames between passes (default 10): longer than the device's leave-the-view count. */
  readonly gapFrames?: number;
  /** Distinct takes rendered per pass, cycled while it is in view (default 2; a take costs ~0.4 s). */
  readonly takes?: number;
  readonly width?: number;
  readonly height?: number;
}

/** An empty scene: a lit wall with a soft gradient and sensor noise, no code. */
export function emptyFrame(width: number, height: number, seed: number): Still {
  const data = new Uint8Array(width * height);
  let s = seed >>> 0 || 1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      s = (s * 1664525 + 1013904223) >>> 0;
      data[y * width + x] = Math.max(0, Math.min(255, 120 + Math.round((x / width) * 50 - (y / height) * 30) + ((s >>> 24) % 9) - 4));
    }
  }
  return { width, height, data };
}

export async function planFrames(texts: readonly string[], opts: PlanOptions = {}): Promise<FramePlan> {
  const perPass = opts.framesPerPass ?? 15;
  const gap = opts.gapFrames ?? 10;
  const takes = opts.takes ?? 2;
  const width = opts.width ?? 640;
  const height = opts.height ?? 480;
  const frames: Still[] = [];
  const owner: (number | null)[] = [];
  const spans: [number, number][] = [];
  const pushFrame = (f: Still, who: number | null) => {
    frames.push(f);
    owner.push(who);
  };
  for (let g = 0; g < gap; g++) pushFrame(emptyFrame(width, height, 1 + g), null);
  for (const [i, text] of texts.entries()) {
    const rendered: Still[] = [];
    for (let t = 0; t < takes; t++) {
      rendered.push(
        await renderPhoneScene(text, {
          seed: 100 * (i + 1) + t,
          perspective: 0.2 + 0.1 * t,
          blur: 0.5 + 0.3 * t,
          noise: 3 + 2 * t,
          glare: 0.2 + 0.15 * t,
        }),
      );
    }
    const first = frames.length;
    for (let f = 0; f < perPass; f++) pushFrame(rendered[f % takes] as Still, i);
    spans.push([first, frames.length - 1]);
    for (let g = 0; g < gap; g++) pushFrame(emptyFrame(width, height, 1000 * (i + 1) + g), null);
  }
  return {
    frames,
    passAt: (seq) => owner[seq] ?? null,
    span: (index) => spans[index] ?? [0, 0],
  };
}
