import type { MessagePort } from 'node:worker_threads';
import type { CommitReceipt, ExpectedContent, HashName, ListProblem, SourceEntry, SourceFeatures, SourceStat, TargetFeatures, TargetStat } from '@filesync/core';
import type { SourceConfig, TargetConfig } from '@filesync/core/config';
import { type ActorDefinition, defineChannel } from '@filesync/actors/actor';

/**
 * The link: the one worker that owns a device (a Source, a removable drive's mount watch with its
 * volumes, or a Target) and serves its contract as messages to the finder, downloader, cleaner or
 * uploader of its group. What must not overlap on the device is serialised by the device itself
 * (the one MAVFTP session in its client, FTP connections in their pool), not here.
 *
 * Data moves as a byte stream on a port the asker brings (`sendByteStream`/`receiveByteStream`):
 * a read or a write is opened by one message and its chunks flow with back-pressure, never one
 * ask per chunk. A device call (a listing over a radio, a big commit) must not hold the link's
 * mailbox (every other asker would wait behind it, and past the runtime's hang timeout the link is
 * killed), so its reply is deferred (`deferReply`): the mailbox goes on at once, and the one reply
 * comes when the call ends. A source call is bounded by `stuckMs`; a link that dies ends every wait.
 */
export interface LinkArgs {
  readonly role: 'source' | 'target';
  /** The device's config entry (its `type` picks the device module, loaded on demand). */
  readonly device: SourceConfig | TargetConfig;
  /** The agent's data dir (the HTTP target's spool lives under it). */
  readonly dataDir: string;
  /** The catalog file (default DATADIR/catalog.db): an S3 target records its multipart parts there. */
  readonly storePath?: string;
  /** Name of the agent's signal bus (see `openSignalBus`). */
  readonly bus: string;
  /**
   * A source call still running after this long (a read paused for arming excepted) is hung: the
   * link crashes on purpose and its supervisor restarts the group. Default 120 s.
   */
  readonly stuckMs?: number;
}

/** What the link serves now. `sourceId` is the catalog's id: for a drive the mounted volume's, else the config id. */
export type LinkDescription =
  | { readonly role: 'source'; readonly configId: string; readonly sourceId: string | undefined; readonly features: SourceFeatures | undefined }
  | { readonly role: 'target'; readonly configId: string; readonly targetId: string; readonly features: TargetFeatures };

/** Each source call names the source it means: a request for one card is never served from another. */
interface OnSource {
  readonly sourceId: string;
}

export type LinkMessage =
  | { readonly type: 'link.describe' }
  /** The source device's link round-trip time (`Source.roundTripMs`); answered at once, the device untouched. */
  | { readonly type: 'link.round-trip' }
  // Source side.
  | ({ readonly type: 'link.list' } & OnSource)
  /** Streams the file from `offset` on `port` (moved with the message); over when the stream is. */
  | ({ readonly type: 'link.read-open'; readonly path: string; readonly offset: number; readonly port: MessagePort } & OnSource)
  | ({ readonly type: 'link.checksum'; readonly path: string; readonly hash: HashName } & OnSource)
  | ({ readonly type: 'link.remove'; readonly path: string } & OnSource)
  /** `Source.stat`: the version of one file now (named apart from the target's `link.stat`). */
  | ({ readonly type: 'link.source-stat'; readonly path: string } & OnSource)
  // Target side.
  | { readonly type: 'link.stat'; readonly path: string }
  | { readonly type: 'link.partial-size'; readonly path: string }
  /** Opens a device write fed by the byte stream on `port`; `link.write-end` waits for it to finish. */
  | { readonly type: 'link.write-open'; readonly path: string; readonly offset: number; readonly expected?: ExpectedContent; readonly port: MessagePort }
  | { readonly type: 'link.write-end'; readonly handle: string }
  | { readonly type: 'link.commit'; readonly path: string; readonly expected: ExpectedContent }
  | { readonly type: 'link.read-back-open'; readonly path: string; readonly port: MessagePort }
  | { readonly type: 'link.remove-committed'; readonly path: string };

/**
 * A device call's reply. `features` rides along because a device may refine them after its first
 * connect (an FTP server without REST: `canResume` off).
 */
export interface DeviceReply<T> {
  readonly value: T;
  readonly features: SourceFeatures | TargetFeatures | undefined;
}

/** A whole listing: its entries and what the walk had to leave out (see `ListOptions`). */
export interface Listing {
  readonly entries: SourceEntry[];
  readonly problems: ListProblem[];
}

export interface LinkReplies {
  'link.describe': LinkDescription;
  'link.round-trip': number | undefined;
  'link.list': DeviceReply<Listing>;
  'link.read-open': void;
  'link.checksum': DeviceReply<string>;
  'link.remove': DeviceReply<void>;
  'link.source-stat': DeviceReply<SourceStat>;
  'link.stat': DeviceReply<TargetStat | null>;
  'link.partial-size': DeviceReply<number>;
  'link.write-open': { readonly handle: string };
  'link.write-end': DeviceReply<void>;
  'link.commit': DeviceReply<CommitReceipt>;
  'link.read-back-open': void;
  'link.remove-committed': DeviceReply<void>;
}

export type LinkActor = ActorDefinition<LinkMessage, LinkReplies, LinkArgs>;

/** The channel a stage worker reaches its group's link on (`peers: { link: 'link' }`). */
export const LINK_CHANNEL = defineChannel<LinkActor>('link');

export const LINK_ACTOR_MODULE: URL = new URL('./link-actor.ts', import.meta.url);
