import { type RcloneWebdav, rcloneMissing, startRcloneWebdav } from '@filesync/device-webdav/testing';
import { sabrePartialUpdate } from '@filesync/device-webdav/testing/partial-update';
import { type LinkCounts, type LinkProxy, startLinkProxy } from './link-proxy';

/**
 * The ground station's file server speaking WebDAV: Debian's `rclone serve webdav` (started by the
 * device's own test helper) behind the counting, paced link of {@link startLinkProxy}. rclone neither
 * announces Sabre's partial updates nor honours `Content-Range`, so the target declares
 * `canResume: false` and an interrupted upload is sent again from zero: the round measures that
 * instead of failing it. With `partialUpdates` the link gives rclone Sabre's `PATCH` append (as
 * Nextcloud offers it; the device's test-support hooks, which its conformance suite runs against): the
 * target then uploads in 1 MiB pieces and resumes, and a restart from zero fails the round.
 */
export interface DavNas {
  /** What the agent is configured with: the link's URL (no credentials). */
  readonly url: string;
  /** rclone's root: what the server stores, seen from its side. */
  readonly root: string;
  readonly user: string;
  readonly password: string;
  /** Whether an interrupted upload can go on from where it was (rclone: no). */
  readonly canResume: boolean;
  counts(): LinkCounts;
  /** The agent's connections reset, unread bytes dropped: call just before the agent is killed, as a power cut. */
  dropClients(): void;
  /** The server killed (SIGKILL, its port closed) for `downMs`, then started again on the same port and root. */
  outage(downMs: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startDavNas(options: { bandwidth?: number; partialUpdates?: boolean } = {}): Promise<DavNas> {
  const missing = rcloneMissing();
  if (missing) throw new Error(`a WebDAV NAS needs Debian's rclone: ${missing}`);
  const server: RcloneWebdav = await startRcloneWebdav();
  let link: LinkProxy;
  try {
    link = await startLinkProxy(server.url, { bandwidth: options.bandwidth, hooks: options.partialUpdates ? sabrePartialUpdate(server.root) : undefined });
  } catch (err) {
    await server.stop();
    throw err;
  }
  return {
    url: link.url,
    root: server.root,
    user: server.user,
    password: server.password,
    canResume: options.partialUpdates === true,
    counts: () => link.counts(),
    dropClients: () => link.dropClients(),
    async outage(downMs) {
      await server.kill();
      await new Promise((resolve) => setTimeout(resolve, downMs));
      await server.restart();
    },
    async stop() {
      await link.close();
      await server.stop();
    },
  };
}
