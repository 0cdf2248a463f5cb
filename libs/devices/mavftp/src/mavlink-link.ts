import { type Clock, TransientError, systemClock } from '@filesync/core';
import { type FtpPayload, MODE_FLAG_SAFETY_ARMED, type MavMessage, MavlinkDecoder, MavlinkEncoder } from '@filesync/mavftp-codec';
import type { Transport } from './transport';

export interface MavlinkLinkOptions {
  /** Our own ids (config `systemId` / `componentId`; 191 = onboard computer). */
  readonly systemId: number;
  readonly componentId: number;
  readonly clock?: Clock;
  /** Only talk to this system id; otherwise the first autopilot heard in a HEARTBEAT. */
  readonly targetSystem?: number;
}

export interface VehicleState {
  readonly sysid: number;
  readonly compid: number;
  readonly armed: boolean;
  /** Monotonic ms of the last HEARTBEAT. */
  readonly lastHeartbeatAt: number;
  /** Reboots seen since the link opened (SYSTEM_TIME boot time going backwards). */
  readonly reboots: number;
  /** The autopilot's last SYSTEM_TIME `time_boot_ms`, if any arrived. */
  readonly timeBootMs: number | undefined;
}

/** MAV_AUTOPILOT_INVALID: ground stations and companions send it; autopilots never do. */
const AUTOPILOT_INVALID = 8;
const HEARTBEAT_MS = 1000;
/** SYSTEM_TIME comes at about 1 Hz; a boot time this much lower than the last one is a restart. */
const REBOOT_JITTER_MS = 500;
/**
 * A gap in everything the autopilot sends that could hide a reboot. PX4 answers FTP about a second
 * before its first SYSTEM_TIME of the new boot (PX4 SITL, kill + start), so a reboot is suspected
 * from the silence itself; a false alarm costs the client one ReadFile (see MavftpClient.readFile).
 */
const SILENCE_MS = 250;

/**
 * One MAVLink link to one autopilot: framing both ways, our HEARTBEAT at 1 Hz, the vehicle's ids
 * found from its HEARTBEAT, its armed flag, and reboots seen from SYSTEM_TIME. FTP replies
 * addressed to us are handed to the single FTP listener (the client owns the link alone).
 */
export class MavlinkLink {
  private readonly encoder: MavlinkEncoder;
  private readonly decoder = new MavlinkDecoder();
  private readonly clock: Clock;
  private vehicleState: VehicleState | undefined;
  private lastBootMs: number | undefined;
  private heardAt: number | undefined;
  private silenceEnded = Number.NEGATIVE_INFINITY;
  private ftpListener: ((payload: FtpPayload) => void) | undefined;
  private readonly stateListeners = new Set<() => void>();
  private readonly rebootListeners = new Set<() => void>();
  private heartbeatTimer: unknown;
  private failure: Error | undefined;
  private closed = false;

  constructor(private readonly transport: Transport, private readonly options: MavlinkLinkOptions) {
    this.clock = options.clock ?? systemClock;
    this.encoder = new MavlinkEncoder(options.systemId, options.componentId);
    this.decoder.onMessage((m) => this.onMessage(m));
    transport.onData((bytes) => this.decoder.push(bytes));
    transport.onError((err) => {
      this.failure = err;
      for (const l of this.stateListeners) l();
    });
    this.sendHeartbeat();
  }

  get description(): string {
    return this.transport.description;
  }

  get vehicle(): VehicleState | undefined {
    return this.vehicleState;
  }

  /** The transport's death, if it died; operations should fail fast with it. */
  get error(): Error | undefined {
    return this.failure;
  }

  /**
   * Monotonic ms of the first frame after the autopilot's last silence longer than SILENCE_MS (it
   * may have rebooted in it). An FTP reply received after this moment may come from a session
   * someone else opened on the new boot.
   */
  get silenceEndedAt(): number {
    return this.silenceEnded;
  }

  onFtp(listener: (payload: FtpPayload) => void): void {
    this.ftpListener = listener;
  }

  /** Called on every HEARTBEAT-driven change (armed flag, vehicle found) and on transport failure. */
  onStateChange(listener: () => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  onReboot(listener: () => void): () => void {
    this.rebootListeners.add(listener);
    return () => this.rebootListeners.delete(listener);
  }

  sendFtp(payload: FtpPayload): void {
    if (this.closed) return;
    const v = this.vehicleState;
    this.transport.send(this.encoder.ftp({ system: v?.sysid ?? 0, component: v?.compid ?? 0 }, payload));
  }

  /** Resolves once an autopilot's HEARTBEAT was heard; rejects with a transient timeout otherwise. */
  waitForVehicle(timeoutMs: number, signal?: AbortSignal): Promise<VehicleState> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        if (this.failure) {
          done();
          reject(new TransientError('disconnected', `${this.description}: ${this.failure.message}`, { cause: this.failure }));
          return true;
        }
        if (this.vehicleState) {
          done();
          resolve(this.vehicleState);
          return true;
        }
        return false;
      };
      const onAbort = (): void => {
        done();
        reject(signal?.reason);
      };
      const timer = this.clock.setTimeout(() => {
        done();
        reject(new TransientError('timeout', `no autopilot HEARTBEAT on ${this.description} within ${timeoutMs} ms`));
      }, timeoutMs);
      const off = this.onStateChange(() => void check());
      const done = (): void => {
        this.clock.clearTimeout(timer);
        off();
        signal?.removeEventListener('abort', onAbort);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      check();
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.clock.clearTimeout(this.heartbeatTimer);
    this.decoder.close();
    await this.transport.close();
  }

  private sendHeartbeat(): void {
    if (this.closed) return;
    // MAV_TYPE_ONBOARD_CONTROLLER, MAV_AUTOPILOT_INVALID, MAV_STATE_ACTIVE.
    this.transport.send(this.encoder.heartbeat({ type: 18, autopilot: AUTOPILOT_INVALID, baseMode: 0, customMode: 0, systemStatus: 4 }));
    this.heartbeatTimer = this.clock.setTimeout(() => this.sendHeartbeat(), HEARTBEAT_MS);
  }

  private heard(): void {
    const now = this.clock.monotonic();
    if (this.heardAt !== undefined && now - this.heardAt > SILENCE_MS) this.silenceEnded = now;
    this.heardAt = now;
  }

  private onMessage(m: MavMessage): void {
    const v = this.vehicleState;
    switch (m.kind) {
      case 'heartbeat': {
        if (m.heartbeat.autopilot === AUTOPILOT_INVALID) return;
        if (this.options.targetSystem !== undefined && m.sysid !== this.options.targetSystem) return;
        if (v && (m.sysid !== v.sysid || m.compid !== v.compid)) return;
        this.heard();
        const armed = (m.heartbeat.baseMode & MODE_FLAG_SAFETY_ARMED) !== 0;
        const changed = !v || v.armed !== armed;
        const now = this.clock.monotonic();
        this.vehicleState = {
          sysid: m.sysid,
          compid: m.compid,
          armed,
          lastHeartbeatAt: now,
          reboots: v?.reboots ?? 0,
          timeBootMs: v?.timeBootMs,
        };
        if (changed) for (const l of this.stateListeners) l();
        return;
      }
      case 'system-time': {
        if (!v || m.sysid !== v.sysid) return;
        this.heard();
        // Boot time going backwards by more than jitter means the autopilot restarted.
        const rebooted = this.lastBootMs !== undefined && m.timeBootMs + REBOOT_JITTER_MS < this.lastBootMs;
        this.vehicleState = { ...v, reboots: v.reboots + (rebooted ? 1 : 0), timeBootMs: m.timeBootMs };
        if (rebooted) for (const l of this.rebootListeners) l();
        this.lastBootMs = m.timeBootMs;
        return;
      }
      case 'ftp': {
        if (!v || m.sysid !== v.sysid) return;
        this.heard();
        // PX4 answers every sender on the link; replies to another ground station are not ours.
        if (m.targetSystem !== this.options.systemId) return;
        if (m.targetComponent !== 0 && m.targetComponent !== this.options.componentId) return;
        this.ftpListener?.(m.payload);
        return;
      }
      case 'other':
        return;
    }
  }
}
