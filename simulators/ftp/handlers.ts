import { rename, stat } from 'node:fs/promises';
import { TLSSocket, createSecureContext } from 'node:tls';
import { type SrvConnection, type SrvHandler, type SrvRegistryEntry, registry } from './ftp-srv-internals';
import type { SimState } from './sim-state';
import { fileSha256, receiveUpload, sendDownload } from './transfer';

/** Marks an ftp-srv server as a simulator; handlers find their state through it. */
export const SIM_STATE = Symbol.for('filesync.ftp-simulator.state');

function stateOf(conn: SrvConnection): SimState | undefined {
  return (conn.server as { [SIM_STATE]?: SimState })[SIM_STATE];
}

type SimHandler = (conn: SrvConnection, sim: SimState, arg: string, original: SrvHandler | undefined, args: Parameters<SrvHandler>[0]) => Promise<unknown>;

async function size(conn: SrvConnection, sim: SimState, arg: string): Promise<unknown> {
  if (sim.faults.noSizeRest) return conn.reply(502, 'Command not implemented');
  const st = await stat(conn.fs!._resolvePath(arg).fsPath).catch(() => undefined);
  return st?.isFile() ? conn.reply(213, String(st.size)) : conn.reply(550, 'No such file or directory');
}

async function hash(conn: SrvConnection, sim: SimState, arg: string, verb: string): Promise<unknown> {
  if (!sim.offerHash) return conn.reply(502, 'Command not implemented');
  const { fsPath } = conn.fs!._resolvePath(arg);
  const st = await stat(fsPath).catch(() => undefined);
  if (!st?.isFile()) return conn.reply(550, 'No such file or directory');
  const digest = await fileSha256(fsPath);
  return verb === 'HASH' ? conn.reply(213, `SHA-256 0-${st.size} ${digest} ${arg}`) : conn.reply(213, digest);
}

/**
 * AUTH TLS done without ftp-srv's race: it wraps the socket only after its 234 reply's promise
 * settles, so a fast client's ClientHello could be read as a plaintext command and answered in
 * plaintext ("wrong version number" on the client). Here the 234 goes out and the socket is
 * wrapped in the same tick, before any reply can be read.
 */
function authTls(conn: SrvConnection, arg: string): Promise<unknown> {
  const tlsOptions = conn.server.options.tls;
  if (!/^TLS$/i.test(arg.trim())) return conn.reply(504, 'Only AUTH TLS');
  if (!tlsOptions) return conn.reply(502, 'TLS not configured');
  if (conn.secure) return conn.reply(202, 'Already secure');
  const plain = conn.commandSocket;
  plain.write('234 AUTH TLS ok\r\n');
  const secureSocket = new TLSSocket(plain, { isServer: true, secureContext: createSecureContext(tlsOptions) });
  // ftp-srv's listeners sit on the plain socket: hand them the decrypted stream, as ftp-srv itself does.
  for (const event of ['data', 'timeout', 'end', 'close', 'drain', 'error']) {
    secureSocket.on(event, (...eventArgs: unknown[]) => plain.emit(event, ...eventArgs));
  }
  conn.commandSocket = secureSocket;
  conn.secure = true;
  return Promise.resolve();
}

const HANDLERS: Readonly<Record<string, SimHandler>> = {
  AUTH: (conn, _sim, arg) => authTls(conn, arg),
  FEAT: (conn, sim) => {
    const feats = new Set<string>(['UTF8', 'REST STREAM']);
    for (const entry of Object.values(registry)) if (entry.flags?.feat) feats.add(entry.flags.feat);
    if (sim.faults.noSizeRest) {
      feats.delete('SIZE');
      feats.delete('REST STREAM');
    }
    if (sim.offerHash) {
      feats.add('HASH SHA-256*');
      feats.add('XSHA256');
    }
    const lines = [...feats].sort().map((f) => ({ message: ` ${f}`, raw: true }));
    return conn.reply(211, 'Extensions supported', ...lines, 'End');
  },
  SIZE: (conn, sim, arg) => size(conn, sim, arg),
  REST: (conn, sim, arg) => {
    if (sim.faults.noSizeRest) return conn.reply(502, 'Command not implemented');
    const n = Number.parseInt(arg, 10);
    if (!Number.isFinite(n) || n < 0) return conn.reply(501, 'Byte count must be 0 or greater');
    conn.restByteCount = n;
    return conn.reply(350, `Restarting at ${n}`);
  },
  STOR: (conn, sim, arg) => receiveUpload(conn, sim, arg, false),
  APPE: (conn, sim, arg) => receiveUpload(conn, sim, arg, true),
  RETR: (conn, sim, arg) => sendDownload(conn, sim, arg),
  RNFR: async (conn, sim, arg) => {
    if (sim.faults.rnfr550Times > 0) {
      sim.setFaults({ rnfr550Times: sim.faults.rnfr550Times - 1 });
      return conn.reply(550, 'No such file or directory');
    }
    const st = await stat(conn.fs!._resolvePath(arg).fsPath).catch(() => undefined);
    if (!st) return conn.reply(550, 'No such file or directory');
    conn.renameFrom = arg;
    return conn.reply(350, 'Ready for RNTO');
  },
  RNTO: async (conn, sim, arg) => {
    const from = conn.renameFrom;
    delete conn.renameFrom;
    if (from === undefined) return conn.reply(503, 'RNFR required first');
    try {
      await rename(conn.fs!._resolvePath(from).fsPath, conn.fs!._resolvePath(arg).fsPath);
    } catch {
      return conn.reply(550, 'Rename failed');
    }
    sim.stats.renames++;
    if (sim.faults.loseRenameReplyTimes > 0) {
      // The rename happened, the reply never arrives: the client must find out on its own.
      sim.setFaults({ loseRenameReplyTimes: sim.faults.loseRenameReplyTimes - 1 });
      conn.commandSocket.destroy();
      return undefined;
    }
    return conn.reply(250, 'Rename successful');
  },
  OPTS: (conn, sim, arg, original, args) => {
    if (/^HASH\b/i.test(arg)) return sim.offerHash ? conn.reply(200, 'SHA-256') : conn.reply(501, 'Unknown option');
    return Promise.resolve(original?.call(conn, args));
  },
  HASH: (conn, sim, arg) => hash(conn, sim, arg, 'HASH'),
  XSHA256: (conn, sim, arg) => hash(conn, sim, arg, 'XSHA256'),
};

let installed = false;

/**
 * Wraps ftp-srv's command table once per process: on a simulator server the simulator's handler
 * runs, on any other ftp-srv server the original does.
 */
export function installSimHandlers(): void {
  if (installed) return;
  installed = true;
  for (const [directive, simHandler] of Object.entries(HANDLERS)) {
    const previous: SrvRegistryEntry | undefined = registry[directive];
    const original = previous?.handler;
    const handler: SrvHandler = function (args) {
      const sim = stateOf(this);
      if (!sim) {
        if (original) return original.call(this, args);
        return this.reply(502, 'Command not implemented');
      }
      return simHandler(this, sim, args.command.arg ?? '', original, args).catch(() => this.reply(451, 'Local error in processing'));
    };
    registry[directive] = { ...(previous ?? { directive }), handler };
  }
}
