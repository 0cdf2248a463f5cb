import { appendFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { type FtpPayload, MODE_FLAG_SAFETY_ARMED, MavlinkDecoder, MavlinkEncoder, Opcode, ftpPayload, pathData } from '@filesync/mavftp-codec';
import { DEFAULT_FAULTS, type Faults, mergeFaults } from './faults';
import { FaultyLink } from './faulty-link';
import { type LoggingMode, SimLogger } from './logger';
import { Px4FtpServer, type Sender } from './ftp-server';
import { LOG_ROOT, resolveVehiclePath } from './vehicle-fs';

export interface VehicleOptions {
  readonly root: string;
  readonly sysid?: number;
  readonly compid?: number;
  readonly faults?: Partial<Faults>;
  /** PX4's logger writing an open, growing log (SDLOG_MODE): `--logging boot|armed`. */
  readonly logging?: { readonly mode: LoggingMode; readonly bytesPerSec: number };
}

/** One MAVLink instance (PX4 runs one per link: UDP, USB, TELEM…), each with its own FTP server. */
export interface LinkHandle {
  /** Bytes that arrived from the ground station side. */
  receive(bytes: Uint8Array): void;
  /** Sends HEARTBEAT and SYSTEM_TIME now (a new UDP peer need not wait a second to find us). */
  announce(): void;
  close(): void;
}

interface Instance {
  readonly name: string;
  readonly link: FaultyLink;
  readonly server: Px4FtpServer;
  readonly encoder: MavlinkEncoder;
  readonly decoder: MavlinkDecoder;
}

/** A ground station that is not us, on the same link (QGC beside mavros): sysid 255, compid 190. */
const OTHER_GCS: Sender = { sysid: 255, compid: 190 };
const FTP_TICK_MS = 10;
/** HEARTBEAT and SYSTEM_TIME period (PX4's 1 Hz streams). */
const ANNOUNCE_MS = 1000;

/**
 * The simulated autopilot: HEARTBEAT (armed flag) and SYSTEM_TIME at 1 Hz, an FTP server per link,
 * reboots, a second ground station, growing logs, and the fault set shared by every link.
 */
export class Vehicle {
  faults: Faults;
  private readonly instances: Instance[] = [];
  private bootAt = performance.now();
  /** Powered off: between `reboot()` and the boot its timer runs. */
  private down = false;
  private bootTimer: ReturnType<typeof setTimeout> | undefined;
  private announceTimer: ReturnType<typeof setInterval>;
  private readonly timers: ReturnType<typeof setInterval>[] = [];
  private otherSeq = 0;
  readonly sysid: number;
  readonly compid: number;
  reboots = 0;
  readonly logger: SimLogger | undefined;

  constructor(private readonly options: VehicleOptions) {
    this.sysid = options.sysid ?? 1;
    this.compid = options.compid ?? 1;
    this.faults = mergeFaults(DEFAULT_FAULTS, options.faults ?? {});
    this.logger = options.logging ? new SimLogger(options.root, options.logging.mode, options.logging.bytesPerSec) : undefined;
    this.timers.push(setInterval(() => this.ftpTick(), FTP_TICK_MS));
    this.announceTimer = setInterval(() => this.announce(), ANNOUNCE_MS);
    this.timers.push(setInterval(() => this.slowTick(), 100));
  }

  get root(): string {
    return this.options.root;
  }

  get armed(): boolean {
    return this.faults.armed;
  }

  setFaults(patch: unknown): Faults {
    this.faults = mergeFaults(this.faults, patch);
    this.announce();
    return this.faults;
  }

  /** Adds a MAVLink instance whose frames leave through `write`. */
  addLink(name: string, write: (frame: Buffer) => void): LinkHandle {
    // On a capped wire the burst is refilled as soon as TX space frees, not only on the 10 ms
    // cycle: PX4 runs that cycle in real time, a simulator on a loaded host does not.
    const late: { server?: Px4FtpServer } = {};
    const link = new FaultyLink(write, () => this.faults, Math.random, () => {
      if (!this.isDown()) late.server?.tick();
    });
    const encoder = new MavlinkEncoder(this.sysid, this.compid);
    const decoder = new MavlinkDecoder();
    const server = new Px4FtpServer(
      {
        root: this.options.root,
        sysid: this.sysid,
        compid: this.compid,
        sessionTimeoutMs: () => this.faults.sessionTimeoutMs,
        burstStopAfterFrames: () => this.faults.burstStopAfterFrames,
        px4Version: () => this.faults.px4,
        dotDirs: () => this.faults.dotDirs,
        crcFault: (path, crc) => this.crcFault(path, crc),
        openFault: (path) => this.faults.nakOpen[path],
      },
      {
        reply: (to: Sender, payload: FtpPayload) => link.send(encoder.ftp({ system: to.sysid, component: to.compid }, payload)),
        freeTxBytes: () => link.freeTxBytes(),
      },
    );
    late.server = server;
    const instance: Instance = { name, link, server, encoder, decoder };
    decoder.onMessage((msg) => {
      if (msg.kind !== 'ftp' || this.isDown()) return;
      link.receive(() => {
        if (this.isDown()) return;
        server.handle({ sysid: msg.sysid, compid: msg.compid }, { system: msg.targetSystem, component: msg.targetComponent }, msg.payload);
      });
    });
    this.instances.push(instance);
    return {
      receive: (bytes) => decoder.push(bytes),
      announce: () => this.announceOn(instance),
      close: () => {
        decoder.close();
        link.close();
        server.close();
        const i = this.instances.indexOf(instance);
        if (i >= 0) this.instances.splice(i, 1);
      },
    };
  }

  arm(armed: boolean): void {
    this.setFaults({ armed });
  }

  /** Power-cycles the autopilot: sessions, reply caches and boot time reset; silent for `downMs`. */
  reboot(downMs = 1500): void {
    this.reboots++;
    this.logger?.reboot();
    for (const i of this.instances) i.server.reset();
    this.down = true;
    clearTimeout(this.bootTimer);
    this.bootTimer = setTimeout(() => this.boot(), downMs);
  }

  /**
   * A session left open by a crashed client: the next Open gets NoSessionsAvailable until a reset or
   * the timeout. None while powered off: a session held before the power cycle died with it, and a
   * PX4 that is off executes no request, so nothing is left (undefined).
   */
  leaveStaleSession(): string | undefined {
    if (this.down) return undefined;
    const file = this.firstLog();
    if (!file) return undefined;
    for (const i of this.instances) {
      i.server.handle({ sysid: 254, compid: 191 }, { system: this.sysid, component: this.compid }, ftpPayload({ seq: 100, opcode: Opcode.OpenFileRO, data: pathData(file) }));
    }
    return file;
  }

  state(): Record<string, unknown> {
    return {
      armed: this.faults.armed,
      down: this.isDown(),
      // The vehicle path of the log the logger is writing, if any (`--logging`).
      openLog: this.logger?.openLog,
      reboots: this.reboots,
      faults: this.faults,
      links: Object.fromEntries(
        this.instances.map((i) => [i.name, { sessionOpen: i.server.sessionOpen, sessionPath: i.server.sessionPath, server: i.server.counters, link: i.link.counters }]),
      ),
      bytesServed: this.bytesServed(),
    };
  }

  /** File bytes sent per vehicle path, summed over links. */
  bytesServed(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const i of this.instances) for (const [p, n] of Object.entries(i.server.counters.bytesServed)) out[p] = (out[p] ?? 0) + n;
    return out;
  }

  resetStats(): void {
    for (const i of this.instances) {
      const c = i.server.counters;
      c.requests = {};
      c.bytesServed = {};
      c.naks = {};
      c.opens = 0;
      c.resets = 0;
    }
  }

  close(): void {
    for (const t of this.timers) clearInterval(t);
    clearTimeout(this.bootTimer);
    clearInterval(this.announceTimer);
    for (const i of [...this.instances]) {
      i.decoder.close();
      i.link.close();
      i.server.close();
    }
    this.instances.length = 0;
  }

  private isDown(): boolean {
    return this.down;
  }

  /**
   * Power back on. FTP is served at once, but PX4's streams (HEARTBEAT, SYSTEM_TIME) first go out
   * one period after its MAVLink instance starts (`MavlinkStream` sets `_last_sent` when created):
   * measured on PX4 SITL (main, 2026-03) after kill + start, FTP answered about 0.9 s before the
   * first HEARTBEAT and SYSTEM_TIME. A ground station cannot see the new boot time in that window.
   */
  private boot(): void {
    this.bootTimer = undefined;
    this.bootAt = performance.now();
    this.down = false;
    clearInterval(this.announceTimer);
    this.announceTimer = setInterval(() => this.announce(), ANNOUNCE_MS);
  }

  private ftpTick(): void {
    if (this.isDown()) return;
    for (const i of this.instances) i.server.tick();
  }

  private announce(): void {
    for (const i of this.instances) this.announceOn(i);
  }

  private announceOn(i: Instance): void {
    if (this.isDown()) return;
    const armed = this.faults.armed;
    // MAV_TYPE_QUADROTOR, MAV_AUTOPILOT_PX4, custom mode enabled, MAV_STATE_ACTIVE/STANDBY.
    i.link.send(i.encoder.heartbeat({ type: 2, autopilot: 12, baseMode: 1 | (armed ? MODE_FLAG_SAFETY_ARMED : 0), customMode: 0, systemStatus: armed ? 4 : 3 }));
    i.link.send(i.encoder.systemTime(Math.max(0, Math.round(performance.now() - this.bootAt))));
  }

  private slowTick(): void {
    if (!this.isDown()) this.logger?.tick(this.faults.armed, performance.now());
    for (const [path, perSec] of Object.entries(this.faults.grow)) {
      const file = resolveVehiclePath(this.options.root, path);
      if (file && perSec > 0) {
        try {
          appendFileSync(file, Buffer.alloc(Math.max(1, Math.round(perSec / 10)), 0x5a));
        } catch {
          // A growing file that was removed simply stops growing.
        }
      }
    }
    if (this.isDown() || this.faults.secondGcs === 'off') return;
    for (const i of this.instances) this.otherGroundStation(i);
  }

  private otherGroundStation(i: Instance): void {
    const target = { system: this.sysid, component: this.compid };
    this.otherSeq = (this.otherSeq + 2) & 0xffff;
    if (this.faults.secondGcs === 'interleave') {
      // QGC refreshing its file view beside us: requests that flush PX4's one-entry reply cache.
      i.server.handle(OTHER_GCS, target, ftpPayload({ seq: this.otherSeq, opcode: Opcode.ListDirectory, data: pathData(LOG_ROOT) }));
      return;
    }
    // `hold`: the other station opens a file whenever the session is free and keeps reading it.
    const file = this.firstLog();
    if (!file) return;
    if (!i.server.sessionOpen) i.server.handle(OTHER_GCS, target, ftpPayload({ seq: this.otherSeq, opcode: Opcode.OpenFileRO, data: pathData(file) }));
    else i.server.handle(OTHER_GCS, target, ftpPayload({ seq: this.otherSeq, opcode: Opcode.ReadFile, size: 16, offset: 0 }));
  }

  private crcFault(path: string, crc: number): number {
    const rule = this.faults.wrongCrc[path];
    if (rule === undefined || rule === 0) return crc;
    if (typeof rule === 'number') this.faults.wrongCrc[path] = rule - 1;
    return (crc ^ 0xa5a5a5a5) >>> 0;
  }

  private firstLog(): string | undefined {
    const base = join(this.options.root, LOG_ROOT);
    const walk = (dir: string, rel: string): string | undefined => {
      let names: string[];
      try {
        names = readdirSync(dir).sort();
      } catch {
        return undefined;
      }
      for (const n of names) {
        const st = statSync(join(dir, n));
        if (st.isFile()) return `${LOG_ROOT}${rel}/${n}`;
        if (st.isDirectory()) {
          const found = walk(join(dir, n), `${rel}/${n}`);
          if (found) return found;
        }
      }
      return undefined;
    };
    return walk(base, '');
  }
}
