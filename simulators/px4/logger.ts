import { appendFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ulogHeader } from './sd-card';
import { LOG_ROOT } from './vehicle-fs';

/**
 * PX4's logger as the SD card sees it (SDLOG_MODE): `boot` logs from boot until the first disarm,
 * then from each arm to its disarm (SDLOG_MODE 1, PX4 SITL's setting); `armed` only from arm to
 * disarm (SDLOG_MODE 0). The log being written is `<YYYY-MM-DD>/<HH_MM_SS>.ulg` under the log root
 * and grows at `bytesPerSec`; a reboot leaves it torn where it was and, in `boot` mode, starts
 * the next one.
 */
export type LoggingMode = 'boot' | 'armed';

export class SimLogger {
  private current: string | undefined;
  private wasArmed = false;
  private disarmedSinceBoot = false;
  private lastTickAt: number | undefined;

  constructor(
    private readonly root: string,
    private readonly mode: LoggingMode,
    private readonly bytesPerSec: number,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.boot();
  }

  /** The vehicle path of the log being written, if any. */
  get openLog(): string | undefined {
    return this.current;
  }

  /** Called at about 10 Hz with the vehicle's armed flag: starts, grows and closes logs. */
  tick(armed: boolean, monotonicMs: number): void {
    // The time since the last tick was logged into the log open during it; then arm/disarm act.
    const elapsed = this.lastTickAt === undefined ? 0 : monotonicMs - this.lastTickAt;
    this.lastTickAt = monotonicMs;
    if (this.current && elapsed > 0) {
      const bytes = Math.max(1, Math.round((this.bytesPerSec * elapsed) / 1000));
      try {
        appendFileSync(join(this.root, this.current), Buffer.alloc(bytes, 0x4c));
      } catch {
        // Removed by a client while open: PX4's logger would stop on the write error too.
        this.current = undefined;
      }
    }
    if (armed && !this.wasArmed && !this.current) this.start();
    if (!armed && this.wasArmed) {
      this.current = undefined;
      this.disarmedSinceBoot = true;
    }
    this.wasArmed = armed;
  }

  /** Power cycle: the open log stays as it is (torn); `boot` mode opens a new one. */
  reboot(): void {
    this.current = undefined;
    this.wasArmed = false;
    this.disarmedSinceBoot = false;
    this.boot();
  }

  private boot(): void {
    if (this.mode === 'boot' && !this.disarmedSinceBoot) this.start();
  }

  private start(): void {
    const t = this.now();
    const pad = (n: number): string => String(n).padStart(2, '0');
    const day = `${t.getUTCFullYear()}-${pad(t.getUTCMonth() + 1)}-${pad(t.getUTCDate())}`;
    let second = t.getUTCHours() * 3600 + t.getUTCMinutes() * 60 + t.getUTCSeconds();
    let rel: string;
    // Two logs started within one second would share a name: PX4 names by time, so take the next second.
    for (;;) {
      rel = `${LOG_ROOT}/${day}/${pad(Math.floor(second / 3600) % 24)}_${pad(Math.floor(second / 60) % 60)}_${pad(second % 60)}.ulg`;
      if (!existsSync(join(this.root, rel))) break;
      second++;
    }
    mkdirSync(join(this.root, LOG_ROOT, day), { recursive: true });
    appendFileSync(join(this.root, rel), ulogHeader(BigInt(t.getTime()) * 1000n));
    this.current = rel;
  }
}
