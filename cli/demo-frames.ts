// The demo's camera film: each pass rendered as a phone held up to the gate camera (a few takes with different
// tilt, blur, noise and glare, as a hand moves), then empty frames while the next person steps up. The plan
// remembers which pass each frame shows, so a verdict can be matched to the pass that was in view.
import path from 'node:path';
import { saveGreyPng } from '../hardware/camera/image-file.js';
import { renderPhoneScene } from '../hardware/camera/sim/scene.js';
import type { GreyFrame } from '../hardware/camera/types.js';

type Still = Pick<GreyFrame, 'width' | 'height' | 'data'>;

export interface FramePlan {
  /** The distinct pictures (each take of each pass, and the empty scenes). */
  readonly stills: readonly Still[];
  /** The film: an index into `stills` per frame. */
  readonly order: readonly number[];
  /** Index of the pass in view at this frame (by the camera's running frame number), or null between passes. */
  passAt(seq: number): number | null;
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
      data[y * width + x] = Math.max(
        0,
        Math.min(255, 120 + Math.round((x / width) * 50 - (y / height) * 30) + ((s >>> 24) % 9) - 4),
      );
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
  const stills: Still[] = [];
  const order: number[] = [];
  const owner: (number | null)[] = [];
  // A few empty scenes, cycled in the gaps: enough for the noise to change from frame to frame.
  const empties = [0, 1, 2].map((k) => stills.push(emptyFrame(width, height, 1 + k)) - 1);
  const gapFrames = () => {
    for (let g = 0; g < gap; g++) {
      order.push(empties[g % empties.length] as number);
      owner.push(null);
    }
  };
  gapFrames();
  for (const [i, text] of texts.entries()) {
    const taken: number[] = [];
    for (let t = 0; t < takes; t++) {
      const frame = await renderPhoneScene(text, {
        seed: 100 * (i + 1) + t,
        perspective: 0.2 + 0.1 * t,
        blur: 0.5 + 0.3 * t,
        noise: 3 + 2 * t,
        glare: 0.2 + 0.15 * t,
      });
      taken.push(stills.push(frame) - 1);
    }
    for (let f = 0; f < perPass; f++) {
      order.push(taken[f % takes] as number);
      owner.push(i);
    }
    gapFrames();
  }
  return {
    stills,
    order,
    passAt: (seq) => owner[seq] ?? null,
  };
}

/** Save the film as image files for the replay camera: each distinct picture once, listed in film order. */
export async function writeFilm(plan: FramePlan, dir: string): Promise<string[]> {
  const files: string[] = [];
  for (const [i, still] of plan.stills.entries()) {
    const file = path.join(dir, `still-${String(i).padStart(3, '0')}.png`);
    await saveGreyPng({ ...still, timestamp: 0, seq: i }, file);
    files.push(file);
  }
  return plan.order.map((i) => files[i] as string);
}
