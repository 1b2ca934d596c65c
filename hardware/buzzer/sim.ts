// The buzzer's simulated twin: records every change with the time, so tests can assert what was played.
import type { Buzzer } from './types.js';

export interface BuzzerRecord {
  readonly at: number;
  /** 0: silence. */
  readonly hz: number;
  readonly volume: number;
}

export class SimBuzzer implements Buzzer {
  readonly played: BuzzerRecord[] = [];
  closed = false;
  private current: { hz: number; volume: number } = { hz: 0, volume: 0 };

  constructor(private readonly now: () => number = () => Date.now()) {}

  sound(hz: number, volume: number): void {
    this.record(hz, volume);
  }

  silence(): void {
    this.record(0, 0);
  }

  close(): void {
    this.silence();
    this.closed = true;
  }

  /** Whether it is sounding now. */
  get sounding(): boolean {
    return this.current.hz > 0;
  }

  /** The tones played (silences left out), in order. */
  tones(): BuzzerRecord[] {
    return this.played.filter((r) => r.hz > 0);
  }

  private record(hz: number, volume: number): void {
    if (hz === this.current.hz && volume === this.current.volume) return;
    this.current = { hz, volume };
    this.played.push({ at: this.now(), hz, volume });
  }
}
