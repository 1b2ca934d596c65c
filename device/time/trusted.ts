// Whether the device's wall clock can be trusted to judge pass expiry. An offline Pi 3/4 has no RTC: after a power
// cut fake-hwclock restores the time of its last save, which is below the truth, and a pass that expired while
// the gate was off would read as valid. The clock is trusted when one of these holds:
//   ntp     the kernel clock is NTP-synchronised (systemd-timesyncd, chrony: `timedatectl show -p NTPSynchronized`)
//   rtc     a battery-backed RTC is configured (hardware.rtc) and present (/sys/class/rtc/rtc0)
//   signed  a signed server time (a freshness statement) was received in this boot (not one held from before it) with the wall clock agreeing, and
//           the wall clock still agrees with it carried forward on the monotonic clock (no step since)
// Otherwise a green decision becomes yellow with the reason CLOCK_UNTRUSTED, and a holder proof outside the window
// (PROOF_STALE, PROOF_FUTURE by this clock) is CLOCK_UNTRUSTED too, closed (see decide.ts). Probes are injected.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export type TimeSource = 'ntp' | 'rtc' | 'signed' | 'none';

export interface ClockTrust {
  readonly trusted: boolean;
  readonly source: TimeSource;
}

export interface TimeProbes {
  /** true / false, or null when it cannot be told (no timedatectl). */
  ntpSynchronized(): boolean | null;
  /** A real-time clock device exists. */
  rtcPresent(): boolean;
  /** Monotonic milliseconds (never stepped; restarts at boot). */
  monotonicMs(): number;
}

/** Probes of this machine; `sysRoot` lets tests point them at a temp tree. */
export function systemTimeProbes(opts: { sysRoot?: string; timedatectl?: string } = {}): TimeProbes {
  const sys = opts.sysRoot ?? '/sys';
  return {
    ntpSynchronized() {
      const r = spawnSync(opts.timedatectl ?? 'timedatectl', ['show', '-p', 'NTPSynchronized', '--value'], {
        encoding: 'utf8',
        timeout: 2000,
      });
      if (r.status !== 0 || r.error) return null;
      const v = r.stdout.trim();
      return v === 'yes' ? true : v === 'no' ? false : null;
    },
    rtcPresent: () => fs.existsSync(path.join(sys, 'class/rtc/rtc0')),
    monotonicMs: () => performance.now(),
  };
}

export interface TimeTrustOptions {
  /** hardware.rtc: an RTC counts only when one with a battery is configured (a Pi 5 has rtc0 without one). */
  readonly rtcConfigured: boolean;
  /** The wall clock and a signed time must agree within this, seconds (clockSkewSeconds). */
  readonly skewSeconds: number;
  /** The NTP probe is asked at most this often, ms. Default 60 000. */
  readonly probeEveryMs?: number;
  /** A signed anchor is carried forward at most this long, ms (monotonic drift). Default 7 days. */
  readonly carryMs?: number;
}

interface Anchor {
  readonly signedMs: number;
  readonly monoMs: number;
}

export class TimeTrust {
  private ntp: boolean | null = null;
  private probedAt = -Infinity;
  private anchor: Anchor | null = null;
  private lastSigned = -Infinity;

  constructor(
    private readonly probes: TimeProbes,
    private readonly opts: TimeTrustOptions,
  ) {}

  /**
   * A signed server time (epoch seconds) seen now. It anchors the clock when the wall clock agrees with it; a
   * signed time far from the wall clock anchors nothing (the clock is then trusted only through NTP or an RTC).
   */
  observeSigned(signedAtSeconds: number, wallMs: number): void {
    if (!(signedAtSeconds > this.lastSigned)) return;
    this.lastSigned = signedAtSeconds;
    const signedMs = signedAtSeconds * 1000;
    if (Math.abs(wallMs - signedMs) <= this.opts.skewSeconds * 1000) {
      this.anchor = { signedMs, monoMs: this.probes.monotonicMs() };
    }
  }

  /**
   * A signed time the device already held when it started (from the store of an earlier boot). It says nothing
   * about the clock now: the gate may have been off for days and fake-hwclock restores the time of the shutdown,
   * which agrees with it. Only signed times newer than this one can confirm the clock.
   */
  ignoreHeld(signedAtSeconds: number): void {
    if (signedAtSeconds > this.lastSigned) this.lastSigned = signedAtSeconds;
  }

  /** The verdict for the wall clock reading `wallMs`. */
  status(wallMs: number): ClockTrust {
    const mono = this.probes.monotonicMs();
    if (mono - this.probedAt >= (this.opts.probeEveryMs ?? 60_000)) {
      this.probedAt = mono;
      this.ntp = this.probes.ntpSynchronized();
    }
    if (this.ntp === true) return { trusted: true, source: 'ntp' };
    if (this.opts.rtcConfigured && this.probes.rtcPresent()) return { trusted: true, source: 'rtc' };
    const a = this.anchor;
    if (a !== null) {
      const carried = mono - a.monoMs;
      const expected = a.signedMs + carried;
      if (
        carried <= (this.opts.carryMs ?? 7 * 86_400_000) &&
        Math.abs(wallMs - expected) <= this.opts.skewSeconds * 1000
      ) {
        return { trusted: true, source: 'signed' };
      }
    }
    return { trusted: false, source: 'none' };
  }
}
