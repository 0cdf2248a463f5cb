import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { type FileHandle, open, stat } from 'node:fs/promises';
import type { Socket } from 'node:net';
import type { SimState } from './sim-state';
import type { SrvConnection } from './ftp-srv-internals';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** How a transfer ended when a fault cut it short. */
type Cut = { readonly kind: 'drop' } | { readonly kind: 'no-space' } | { readonly kind: 'abandoned' };

/**
 * Receives one upload (STOR/APPE, after REST if given) with the faults applied. Written by hand
 * rather than ftp-srv's STOR because that one truncates on REST+STOR, always answers 550 on errors
 * (we need 552) and cannot count or throttle bytes.
 */
export async function receiveUpload(conn: SrvConnection, sim: SimState, arg: string, append: boolean): Promise<void> {
  const { fsPath, clientPath } = conn.fs!._resolvePath(arg);
  const start = conn.restByteCount ?? 0;
  conn.restByteCount = 0;
  let socket: Socket;
  try {
    socket = await conn.connector.waitForConnection();
  } catch {
    await conn.reply(425, 'No data connection');
    return;
  }
  conn.commandSocket.pause();
  let file: FileHandle | undefined;
  try {
    try {
      file = await open(fsPath, append ? 'a' : start > 0 ? 'r+' : 'w');
      if (!append && start > 0) await file.truncate(start);
    } catch (err) {
      await conn.reply(550, (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'No such file or directory' : 'Cannot open file');
      return;
    }
    sim.stats.transfers++;
    await conn.reply(150, 'Ok to send data');
    const cut = await receive(conn, sim, socket, file, append ? null : start, clientPath);
    await file.sync().catch(() => undefined);
    if (cut === undefined) await conn.reply(226, 'Transfer complete');
    else if (cut.kind === 'drop') await conn.reply(426, 'Connection closed; transfer aborted');
    else if (cut.kind === 'abandoned') await conn.reply(426, 'Transfer abandoned');
  } finally {
    await file?.close().catch(() => undefined);
    conn.connector.end();
    conn.commandSocket.resume();
  }
}

async function receive(
  conn: SrvConnection,
  sim: SimState,
  socket: Socket,
  file: FileHandle,
  startAt: number | null,
  clientPath: string,
): Promise<Cut | undefined> {
  let got = 0;
  let position = startAt;
  const quotaLeft = sim.faults.quotaBytes === null ? Infinity : sim.faults.quotaBytes - (await sim.usedBytes());
  const write = async (chunk: Buffer): Promise<void> => {
    if (chunk.length === 0) return;
    await file.write(chunk, 0, chunk.length, position);
    if (position !== null) position += chunk.length;
  };
  for await (const data of socket as AsyncIterable<Buffer>) {
    sim.countReceived(clientPath, data.length);
    const f = sim.faults;
    const end = got + data.length;
    if (f.dropDataAfterBytes !== null && f.dropDataTimes > 0 && end > f.dropDataAfterBytes) {
      sim.setFaults({ dropDataTimes: f.dropDataTimes - 1 });
      await write(data.subarray(0, Math.max(0, f.dropDataAfterBytes - got)));
      socket.destroy();
      return { kind: 'drop' };
    }
    const spaceAt = Math.min(
      f.noSpaceAfterBytes !== null && f.noSpaceTimes > 0 ? f.noSpaceAfterBytes : Infinity,
      quotaLeft,
    );
    if (end > spaceAt) {
      if (spaceAt !== quotaLeft) sim.setFaults({ noSpaceTimes: f.noSpaceTimes - 1 });
      await write(data.subarray(0, Math.max(0, spaceAt - got)));
      // The reply goes first and the data connection closes a moment later, as a real server's
      // would: the client must see the 552, not just a reset socket.
      await conn.reply(552, 'Requested file action aborted. Exceeded storage allocation');
      await sleep(100);
      socket.destroy();
      return { kind: 'no-space' };
    }
    await write(data);
    got = end;
    if (f.stallAfterBytes !== null && f.stallTimes > 0 && got >= f.stallAfterBytes) {
      sim.setFaults({ stallTimes: f.stallTimes - 1 });
      // Not reading is the stall: the socket buffer fills and TCP pushes back on the client.
      await sleep(f.stallMs);
      // A client that gave up meanwhile is gone; a real server's session process would be too.
      if (conn.commandSocket.destroyed) {
        socket.destroy();
        return { kind: 'abandoned' };
      }
    }
    const bps = sim.faults.bandwidthBytesPerSec;
    if (bps !== null && bps > 0) await sleep((data.length / bps) * 1000);
  }
  return undefined;
}

/** Sends one download (RETR, after REST if given) with drop/stall/bandwidth faults applied. */
export async function sendDownload(conn: SrvConnection, sim: SimState, arg: string): Promise<void> {
  const { fsPath, clientPath } = conn.fs!._resolvePath(arg);
  const start = conn.restByteCount ?? 0;
  conn.restByteCount = 0;
  const st = await stat(fsPath).catch(() => undefined);
  if (!st?.isFile()) {
    await conn.reply(550, 'No such file or directory');
    return;
  }
  let socket: Socket;
  try {
    socket = await conn.connector.waitForConnection();
  } catch {
    await conn.reply(425, 'No data connection');
    return;
  }
  conn.commandSocket.pause();
  try {
    sim.stats.transfers++;
    sim.downloadStarted(clientPath, start);
    await conn.reply(150, 'Opening data connection');
    let sent = 0;
    let cut = false;
    try {
      for await (const data of createReadStream(fsPath, { start, highWaterMark: 64 * 1024 }) as AsyncIterable<Buffer>) {
        const f = sim.faults;
        if (f.dropDataAfterBytes !== null && f.dropDataTimes > 0 && sent + data.length > f.dropDataAfterBytes) {
          sim.setFaults({ dropDataTimes: f.dropDataTimes - 1 });
          const last = data.subarray(0, Math.max(0, f.dropDataAfterBytes - sent));
          await writeTo(socket, last);
          sim.countSent(clientPath, last.length);
          socket.destroy();
          cut = true;
          break;
        }
        if (socket.destroyed) {
          cut = true;
          break;
        }
        await writeTo(socket, data);
        sim.countSent(clientPath, data.length);
        sent += data.length;
        if (f.stallAfterBytes !== null && f.stallTimes > 0 && sent >= f.stallAfterBytes) {
          sim.setFaults({ stallTimes: f.stallTimes - 1 });
          await sleep(f.stallMs);
        }
        const bps = sim.faults.bandwidthBytesPerSec;
        if (bps !== null && bps > 0) await sleep((data.length / bps) * 1000);
      }
    } finally {
      // Before any reply: a reply on a dead control connection may take its time.
      sim.downloadEnded(clientPath);
    }
    if (cut) {
      await conn.reply(426, 'Connection closed; transfer aborted');
    } else {
      await new Promise<void>((resolve) => socket.end(resolve));
      await conn.reply(226, 'Transfer complete');
    }
  } catch {
    await conn.reply(426, 'Connection closed; transfer aborted');
  } finally {
    conn.connector.end();
    conn.commandSocket.resume();
  }
}

function writeTo(socket: Socket, chunk: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    if (socket.destroyed) {
      reject(new Error('data connection closed'));
      return;
    }
    socket.write(chunk, (err) => (err ? reject(err) : resolve()));
  });
}

/** SHA-256 of a file as the server computes it for HASH / XSHA256. */
export async function fileSha256(fsPath: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(fsPath) as AsyncIterable<Buffer>) hash.update(chunk);
  return hash.digest('hex');
}
