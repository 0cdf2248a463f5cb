/**
 * Faults the simulated PX4 can show, settable from the command line and the control API.
 * Probabilities are 0..1 per frame; a link fault applies to both the UDP and the pty link.
 */
export interface LinkFaults {
  /** Frames from the ground station lost before PX4 sees them. */
  lossUp: number;
  /** Frames from PX4 lost on the way out. */
  lossDown: number;
  /** Frames sent twice (each direction). */
  dup: number;
  /** Frames held back and sent after the next one (each direction). */
  reorder: number;
  /** One-way delay added to every frame (each direction). */
  latencyMs: number;
  /** A serial-like cap on PX4's transmit rate: baud / 10 bytes a second (8N1); 0 = uncapped. */
  baud: number;
  /** PX4's free TX buffer that paces a burst (see MAVFTP.md BurstReadFile): 1500 NuttX UDP, 15000 SITL. */
  txBuffer: number;
}

export interface ServerFaults {
  /** HEARTBEAT armed flag. */
  armed: boolean;
  /** Close a session after this long without an FTP request (PX4: 10 s, main since 2026-08: 30 s). */
  sessionTimeoutMs: number;
  /** Paths (as the client names them) whose CRC32 is answered wrong; `times` left, or always. */
  wrongCrc: Record<string, number | 'always'>;
  /**
   * Paths (as the client names them) whose OpenFileRO is refused with this NAK error code, always:
   * 1 Fail, 2 FailErrno (errno 5, EIO: a failing SD card), 3 InvalidDataSize, or a code PX4 does not
   * define (e.g. 200). A file the autopilot lists but never gives.
   */
  nakOpen: Record<string, number>;
  /** Files that grow while being read (a log being written), bytes per second. */
  grow: Record<string, number>;
  /** A burst stream silently stops after this many frames, without burst_complete (0 = never). */
  burstStopAfterFrames: number;
  /** Another ground station on the link: `hold` keeps PX4's one session open, `interleave` sends its own requests. */
  secondGcs: 'off' | 'hold' | 'interleave';
  /**
   * `main` (2026, listing like SITL) or `v1.15` — a released PX4 on NuttX as most vehicles run it:
   * no ListDirectoryWithTime (UnknownCommand), no `.`/`..` entries, an empty directory listed as
   * an empty ACK at offset 0, 10 s session timeout.
   */
  px4: 'main' | 'v1.15';
  /**
   * A hostile or non-PX4 MAVFTP server: `.` and `..` listed as directories (`D.`, `D..`) instead of
   * PX4's skip entries, so a client that walks every `D` entry never finishes.
   */
  dotDirs: boolean;
}

export type Faults = LinkFaults & ServerFaults;

export const DEFAULT_FAULTS: Faults = {
  lossUp: 0,
  lossDown: 0,
  dup: 0,
  reorder: 0,
  latencyMs: 0,
  baud: 0,
  txBuffer: 1500,
  armed: false,
  sessionTimeoutMs: 30_000,
  wrongCrc: {},
  nakOpen: {},
  grow: {},
  burstStopAfterFrames: 0,
  secondGcs: 'off',
  px4: 'main',
  dotDirs: false,
};

const NUMBER_KEYS = ['lossUp', 'lossDown', 'dup', 'reorder', 'latencyMs', 'baud', 'txBuffer', 'sessionTimeoutMs', 'burstStopAfterFrames'] as const;

/** Merges a partial fault set from JSON; names the bad key instead of guessing. */
export function mergeFaults(current: Faults, patch: unknown): Faults {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) throw new Error('faults must be a JSON object');
  const next: Faults = { ...current, wrongCrc: { ...current.wrongCrc }, nakOpen: { ...current.nakOpen }, grow: { ...current.grow } };
  for (const [key, value] of Object.entries(patch as Record<string, unknown>)) {
    if ((NUMBER_KEYS as readonly string[]).includes(key)) {
      if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new Error(`fault ${key} must be a non-negative number`);
      if (['lossUp', 'lossDown', 'dup', 'reorder'].includes(key) && value > 1) throw new Error(`fault ${key} is a probability (0..1)`);
      (next as unknown as Record<string, number>)[key] = value;
    } else if (key === 'armed' || key === 'dotDirs') {
      if (typeof value !== 'boolean') throw new Error(`fault ${key} must be true or false`);
      next[key] = value;
    } else if (key === 'px4') {
      if (value !== 'main' && value !== 'v1.15') throw new Error('fault px4 must be "main" or "v1.15"');
      next.px4 = value;
      if (value === 'v1.15' && !('sessionTimeoutMs' in (patch as Record<string, unknown>))) next.sessionTimeoutMs = 10_000;
    } else if (key === 'secondGcs') {
      if (value !== 'off' && value !== 'hold' && value !== 'interleave') throw new Error('fault secondGcs must be "off", "hold" or "interleave"');
      next.secondGcs = value;
    } else if (key === 'nakOpen') {
      if (typeof value !== 'object' || value === null) throw new Error('fault nakOpen must be an object of path → NAK error code');
      for (const [path, v] of Object.entries(value as Record<string, unknown>)) {
        if (v === null) delete next.nakOpen[path];
        else if (typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 255 && v !== 6) next.nakOpen[path] = v;
        else throw new Error(`fault nakOpen["${path}"] must be a NAK error code 1..255 (not 6, EOF)`);
      }
    } else if (key === 'wrongCrc' || key === 'grow') {
      if (typeof value !== 'object' || value === null) throw new Error(`fault ${key} must be an object of path → value`);
      for (const [path, v] of Object.entries(value as Record<string, unknown>)) {
        if (v === null) delete next[key][path];
        else if (key === 'wrongCrc' && (v === 'always' || (typeof v === 'number' && v >= 0))) next.wrongCrc[path] = v;
        else if (key === 'grow' && typeof v === 'number' && v >= 0) next.grow[path] = v;
        else throw new Error(`fault ${key}["${path}"] has a bad value`);
      }
    } else {
      throw new Error(`unknown fault "${key}"`);
    }
  }
  return next;
}
