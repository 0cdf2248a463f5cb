import { type Socket, createSocket } from 'node:dgram';
import { MODE_FLAG_SAFETY_ARMED, MavlinkDecoder, MavlinkEncoder } from '@filesync/mavftp-codec';
import type { Px4SitlReady } from './px4-sitl';

const MAV_CMD_NAV_TAKEOFF = 22;
const MAV_CMD_COMPONENT_ARM_DISARM = 400;
/** param2 of ARM_DISARM that makes PX4 disarm even in the air (MAVLink common.xml). */
const FORCE_DISARM = 21196;

/**
 * A minimal ground station on PX4 SITL's GCS port (`udpout:127.0.0.1:18570+N`): arms, takes off and
 * disarms with COMMAND_LONG (MAV_CMD_COMPONENT_ARM_DISARM, MAV_CMD_NAV_TAKEOFF), and watches the armed flag in PX4's HEARTBEAT. PX4 answers the first
 * address that talks to that port, so one GcsLink per PX4 run.
 */
export class Px4Gcs {
  private readonly encoder = new MavlinkEncoder(255, 190);
  private readonly decoder = new MavlinkDecoder();
  private armedFlag: boolean | undefined;
  private readonly heartbeat: NodeJS.Timeout;

  private constructor(private readonly socket: Socket, private readonly port: number, private readonly sysid: number) {
    this.decoder.onMessage((m) => {
      if (m.kind === 'heartbeat' && m.sysid === sysid && m.compid === 1) this.armedFlag = (m.heartbeat.baseMode & MODE_FLAG_SAFETY_ARMED) !== 0;
    });
    socket.on('message', (bytes) => this.decoder.push(bytes));
    this.heartbeat = setInterval(() => this.sendHeartbeat(), 1000);
    this.sendHeartbeat();
  }

  static async open(sitl: Pick<Px4SitlReady, 'gcs' | 'sysid'>): Promise<Px4Gcs> {
    const port = Number(sitl.gcs.split(':').pop());
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    return new Px4Gcs(socket, port, sitl.sysid);
  }

  get armed(): boolean | undefined {
    return this.armedFlag;
  }

  /** Arms and takes off (so PX4 does not disarm itself on the ground after ~10 s); resolves once armed. */
  async armAndTakeOff(timeoutMs = 60_000): Promise<void> {
    // PX4 refuses to arm until its estimator has a position (a few seconds after boot): repeat.
    await this.until(() => this.armedFlag === true, () => this.command(MAV_CMD_COMPONENT_ARM_DISARM, [1, 0, 0, 0, 0, 0, 0]), 'armed', timeoutMs);
    // NaN: PX4's defaults for pitch, yaw, position; 10 m above home.
    for (let i = 0; i < 3; i++) this.command(MAV_CMD_NAV_TAKEOFF, [Number.NaN, 0, 0, Number.NaN, Number.NaN, Number.NaN, Number.NaN]);
  }

  /** Disarms (forced: the vehicle may be in the air); resolves once PX4's HEARTBEAT says disarmed. */
  async disarm(timeoutMs = 30_000): Promise<void> {
    await this.until(() => this.armedFlag === false, () => this.command(MAV_CMD_COMPONENT_ARM_DISARM, [0, FORCE_DISARM, 0, 0, 0, 0, 0]), 'disarmed', timeoutMs);
  }

  async close(): Promise<void> {
    clearInterval(this.heartbeat);
    this.decoder.close();
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
  }

  private async until(done: () => boolean, act: () => void, what: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (let i = 0; i < 1000 && Date.now() < deadline; i++) {
      if (done()) return;
      if (i % 5 === 0) act();
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`PX4 SITL (sysid ${this.sysid}) not ${what} within ${timeoutMs} ms`);
  }

  private command(command: number, params: readonly number[]): void {
    this.send(this.encoder.commandLong({ system: this.sysid, component: 1 }, command, params));
  }

  private sendHeartbeat(): void {
    // MAV_TYPE_GCS, MAV_AUTOPILOT_INVALID, MAV_STATE_ACTIVE.
    this.send(this.encoder.heartbeat({ type: 6, autopilot: 8, baseMode: 0, customMode: 0, systemStatus: 4 }));
  }

  private send(frame: Buffer): void {
    this.socket.send(frame, this.port, '127.0.0.1');
  }
}
