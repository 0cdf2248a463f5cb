import { type HashName, PermanentError, type SourceEntry } from '@filesync/core';
import { type ActorDefinition, defineActor, guardMessage } from '@filesync/actors/actor';
import { type MavftpSource, createMavftpSource } from './mavftp-source';

/**
 * The device actor: the single owner of one MAVLink link, in its own worker thread. Messages are
 * handled one at a time, and a file is read one chunk per message, so the Finder's listing runs
 * between two chunks of the Downloader's read (ARCHITECTURE.md, "Actors and supervision").
 */
export type MavftpMessage =
  | { readonly type: 'mavftp.list' }
  | { readonly type: 'mavftp.read-open'; readonly path: string; readonly offset: number }
  | { readonly type: 'mavftp.read-next'; readonly readId: number }
  | { readonly type: 'mavftp.read-close'; readonly readId: number }
  | { readonly type: 'mavftp.checksum'; readonly path: string; readonly hash: HashName }
  | { readonly type: 'mavftp.remove'; readonly path: string }
  | { readonly type: 'mavftp.status' };

export interface MavftpStatus {
  readonly connected: boolean;
  readonly armed: boolean | undefined;
  readonly reboots: number | undefined;
  readonly sends: number;
  readonly retransmits: number;
}

export interface MavftpReplies {
  'mavftp.list': SourceEntry[];
  'mavftp.read-open': { readonly readId: number };
  /** `done`: the file ended. `paused`: the vehicle is armed; ask again later, nothing is lost. */
  'mavftp.read-next': { readonly data: Uint8Array | null; readonly done: boolean; readonly paused: boolean };
  'mavftp.read-close': void;
  'mavftp.checksum': string;
  'mavftp.remove': void;
  'mavftp.status': MavftpStatus;
}

/** Structured-cloneable source options (no clock or serial factory across a thread). */
export interface MavftpActorArgs {
  readonly id: string;
  readonly link: string;
  readonly logDir?: string;
  readonly systemId?: number;
  readonly componentId?: number;
  readonly transferWhileArmed?: boolean;
  readonly requestTimeoutMs?: number;
  readonly stableMs?: number;
  readonly heartbeatTimeoutMs?: number;
  readonly busyWaitMs?: number;
}

export type MavftpActor = ActorDefinition<MavftpMessage, MavftpReplies, MavftpActorArgs>;

interface OpenRead {
  readonly iterator: AsyncIterator<Uint8Array>;
  /** Ends a read that waits for disarm (an async generator's `return` would queue behind it). */
  readonly abort: AbortController;
  /** A `next()` still running when the previous message returned because the read paused. */
  pending: Promise<IteratorResult<Uint8Array>> | undefined;
  /** Called when the read pauses for arming, so `read-next` can answer instead of blocking the mailbox. */
  onPaused: (() => void) | undefined;
  paused: boolean;
}

let source: MavftpSource | undefined;
let nextReadId = 1;
const reads = new Map<number, OpenRead>();

function current(): MavftpSource {
  if (!source) throw new PermanentError('internal', 'mavftp actor used before init');
  return source;
}

const mavftpActor: MavftpActor = defineActor<MavftpMessage, MavftpReplies, MavftpActorArgs>({
  init(args) {
    source = createMavftpSource(args);
  },
  validate: (msg) =>
    guardMessage<MavftpMessage>(msg, [
      'mavftp.list',
      'mavftp.read-open',
      'mavftp.read-next',
      'mavftp.read-close',
      'mavftp.checksum',
      'mavftp.remove',
      'mavftp.status',
    ]),
  handlers: {
    'mavftp.list': async () => {
      const out: SourceEntry[] = [];
      for await (const e of current().list()) out.push(e);
      return out;
    },
    'mavftp.read-open': (msg) => {
      const readId = nextReadId++;
      const abort = new AbortController();
      const read: OpenRead = {
        abort,
        iterator: current()
          .readWithPause(msg.path, msg.offset, {
            signal: abort.signal,
            onPause: (paused) => {
              read.paused = paused;
              if (paused) read.onPaused?.();
            },
          })
          [Symbol.asyncIterator](),
        pending: undefined,
        onPaused: undefined,
        paused: false,
      };
      reads.set(readId, read);
      return { readId };
    },
    'mavftp.read-next': async (msg) => {
      const read = reads.get(msg.readId);
      if (!read) throw new PermanentError('bad-request', `no open read ${msg.readId}`);
      const next = read.pending ?? read.iterator.next();
      read.pending = next;
      // An armed vehicle may hold a read for minutes: answer "paused" and keep the mailbox free.
      const paused = new Promise<'paused'>((resolve) => {
        read.onPaused = () => resolve('paused');
        if (read.paused) resolve('paused');
      });
      const result = await Promise.race([next, paused]);
      read.onPaused = undefined;
      if (result === 'paused') return { data: null, done: false, paused: true };
      read.pending = undefined;
      if (result.done) {
        reads.delete(msg.readId);
        return { data: null, done: true, paused: false };
      }
      return { data: result.value, done: false, paused: false };
    },
    'mavftp.read-close': async (msg) => {
      const read = reads.get(msg.readId);
      reads.delete(msg.readId);
      if (!read) return;
      read.abort.abort();
      await read.pending?.catch(() => undefined);
      await read.iterator.return?.(undefined);
    },
    'mavftp.checksum': (msg) => {
      const s = current();
      if (!s.checksum) throw new PermanentError('unsupported', 'no checksum');
      return s.checksum(msg.path, msg.hash);
    },
    'mavftp.remove': async (msg) => {
      await current().remove?.(msg.path);
    },
    'mavftp.status': async () => {
      const c = await current().client().catch(() => undefined);
      const v = c?.link.vehicle;
      return { connected: c !== undefined, armed: v?.armed, reboots: v?.reboots, sends: c?.stats.sends ?? 0, retransmits: c?.stats.retransmits ?? 0 };
    },
  },
  async stop() {
    for (const r of reads.values()) {
      r.abort.abort();
      await r.pending?.catch(() => undefined);
      await r.iterator.return?.(undefined);
    }
    reads.clear();
    await source?.close();
  },
});

export default mavftpActor;
