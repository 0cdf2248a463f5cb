import { open } from 'node:fs/promises';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { isFilesyncError } from '@filesync/core';
import { connectMavftp } from './connect';
import { classify } from './errors';
import { fetchVerified } from './fetch-verified';
import type { MavftpClient } from './ftp-client';
import type { TransportOptions } from './transport';

export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

export const MAVFTP_USAGE = `usage: filesync mavftp <ls|get|crc|rm> --link LINK [options] PATH
  --link LINK          udpin:HOST:PORT | udpout:HOST:PORT | serial:/dev/ttyACM0[:BAUD]
  --system-id N        our MAVLink system id (default 1)
  --component-id N     our MAVLink component id (default 191)
  --timeout-ms N       first request timeout (default 500)
  --out FILE           for get: where to write (default: the file's name)
  --armed-ok           for get: transfer even while the vehicle is armed
  -r, --recursive      for ls: list sub-directories too
PATH is a vehicle path such as /fs/microsd/log or @MAV_LOG/2026-11-20/10_31_07.ulg.`;

/**
 * `filesync mavftp ls|get|crc|rm` for field debugging against any MAVLink endpoint. Returns the
 * process exit code: 0 ok, 1 failed, 2 usage. Expected faults print one line, no stack.
 */
export async function runMavftpCommand(argv: readonly string[], io: CliIo, extra: TransportOptions = {}): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        link: { type: 'string' },
        'system-id': { type: 'string' },
        'component-id': { type: 'string' },
        'timeout-ms': { type: 'string' },
        out: { type: 'string' },
        'armed-ok': { type: 'boolean', default: false },
        recursive: { type: 'boolean', short: 'r', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    io.stderr(`${err instanceof Error ? err.message : String(err)}\n${MAVFTP_USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [command, path] = positionals;
  if (values.help) {
    io.stdout(`${MAVFTP_USAGE}\n`);
    return 0;
  }
  if (!command || !['ls', 'get', 'crc', 'rm'].includes(command) || !path || !values.link) {
    io.stderr(`${!values.link ? 'missing --link\n' : ''}${MAVFTP_USAGE}\n`);
    return 2;
  }
  const int = (v: string | undefined, d: number): number => (v === undefined ? d : Number.parseInt(v, 10));
  let client: MavftpClient | undefined;
  try {
    client = await connectMavftp({
      link: values.link,
      systemId: int(values['system-id'], 1),
      componentId: int(values['component-id'], 191),
      requestTimeoutMs: int(values['timeout-ms'], 500),
      transferWhileArmed: values['armed-ok'],
      ...extra,
    });
    switch (command) {
      case 'ls':
        await list(client, path, values.recursive, io);
        break;
      case 'crc':
        io.stdout(`${(await client.crc32(path)).toString(16).padStart(8, '0')}  ${path}\n`);
        break;
      case 'rm':
        await client.remove(path);
        io.stdout(`removed ${path}\n`);
        break;
      case 'get': {
        const out = values.out ?? basename(path);
        const fh = await open(out, 'w');
        try {
          const result = await fetchVerified(
            client,
            path,
            async (chunk, offset) => {
              await fh.write(chunk, 0, chunk.length, offset);
            },
            { onAttempt: async () => void (await fh.truncate(0)) },
          );
          await fh.sync();
          io.stdout(`${out}: ${result.bytes} bytes, crc32 ${result.crc} verified${result.attempts > 1 ? ` after ${result.attempts} attempts` : ''}\n`);
        } finally {
          await fh.close();
        }
        break;
      }
    }
    return 0;
  } catch (err) {
    const e = classify(err, path);
    io.stderr(`mavftp ${command}: ${e.message}${isFilesyncError(e) ? ` [${e.kind} ${e.code}]` : ''}\n`);
    return 1;
  } finally {
    await client?.link.close();
  }
}

async function list(client: MavftpClient, dir: string, recursive: boolean, io: CliIo, depth = 0): Promise<void> {
  for (const e of await client.listDirectory(dir)) {
    const full = `${dir.replace(/\/+$/, '')}/${e.name}`;
    if (e.kind === 'dir') {
      io.stdout(`${'dir'.padStart(10)}  ${''.padEnd(19)}  ${full}/\n`);
      if (recursive && depth < 8) await list(client, full, true, io, depth + 1);
    } else {
      const when = e.mtimeSec > 0 ? new Date(e.mtimeSec * 1000).toISOString().slice(0, 19) : '-'.padEnd(19);
      io.stdout(`${String(e.size).padStart(10)}  ${when}  ${full}\n`);
    }
  }
}
