import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type MavMessage, MavlinkDecoder, MavlinkEncoder, NakError, Opcode, ftpPayload } from '@filesync/mavftp-codec';
import { Vehicle } from './vehicle';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('px4 simulator vehicle: reboot', () => {
  let vehicle: Vehicle | undefined;
  let root: string | undefined;
  afterEach(async () => {
    vehicle?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('executes nothing while powered off (no stale session), then serves FTP before its first SYSTEM_TIME, as PX4 SITL does', async () => {
    root = await mkdtemp(join(tmpdir(), 'fs-px4-vehicle-'));
    await mkdir(join(root, 'fs/microsd/log/2026-11-20'), { recursive: true });
    await writeFile(join(root, 'fs/microsd/log/2026-11-20/10_31_07.ulg'), Buffer.alloc(4096, 7));
    vehicle = new Vehicle({ root });
    const heard: { at: number; m: MavMessage }[] = [];
    const decoder = new MavlinkDecoder();
    decoder.onMessage((m) => heard.push({ at: performance.now(), m }));
    const link = vehicle.addLink('test', (frame) => decoder.push(frame));
    const gcs = new MavlinkEncoder(1, 191);
    const readFile = (seq: number): void => link.receive(gcs.ftp({ system: 1, component: 1 }, ftpPayload({ seq, session: 0, opcode: Opcode.ReadFile, size: 16, offset: 0 })));

    vehicle.reboot(300);
    // Fault: a crashed client's session asked for while the autopilot is off.
    expect(vehicle.leaveStaleSession()).toBeUndefined();
    readFile(10);
    await sleep(100);
    expect(heard).toEqual([]);
    expect(vehicle.state()).toMatchObject({ down: true, links: { test: { sessionOpen: false } } });

    await sleep(300);
    const upAt = performance.now();
    readFile(12);
    // Nothing open after the power cycle: the read is refused, not served from someone's file.
    const reply = heard.find((h) => h.m.kind === 'ftp')?.m;
    expect(reply?.kind === 'ftp' && reply.payload.opcode === Opcode.Nak && reply.payload.data[0] === NakError.InvalidSession).toBe(true);
    expect(vehicle.state()).toMatchObject({ down: false, links: { test: { sessionOpen: false } } });
    // The new boot time shows up one stream period later, not with the first FTP reply.
    await sleep(600);
    expect(heard.some((h) => h.m.kind === 'system-time')).toBe(false);
    await sleep(700);
    const time = heard.find((h) => h.m.kind === 'system-time');
    expect(time?.m.kind === 'system-time' && time.m.timeBootMs).toBeLessThan(1500);
    expect(time!.at - upAt).toBeGreaterThan(800);
    link.close();
  });
});
