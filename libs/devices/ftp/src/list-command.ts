import type { FileInfo } from 'basic-ftp';
import type { FtpSession } from './connection-pool';
import { ftpCode } from './errors';

const WITH_MLSD = ['MLSD', 'LIST -a', 'LIST'] as const;
const WITHOUT_MLSD = ['LIST -a', 'LIST'] as const;

/** A reply saying the command itself is not understood here, so the next form may be tried. */
function refusedCommand(err: unknown, command: string): boolean {
  const code = ftpCode(err);
  if (code === undefined || code < 500) return false;
  // 550 to MLSD is about the directory, not the command: LIST would hide a missing or forbidden one.
  return command !== 'MLSD' || code !== 550;
}

/**
 * Chooses a source's listing command once and keeps it on every connection. basic-ftp's own `list()`
 * walks MLSD → `LIST -a` → LIST per connection and falls back on any FTP error, a transient 4xx too,
 * so a reconnect could list the same files with LIST's minute-precision dates where MLSD gave seconds,
 * and every file would look changed. Here MLSD is tried when any connection so far offered MLST
 * (FEAT can differ between connections), a fallback happens only on a 5xx "not understood" before
 * any command has worked, and after that a failure is a failure: the listing throws, the caller
 * retries, and no listing ever mixes precisions.
 */
export class ListCommand {
  private chosen: string | undefined;
  private mlstSeen = false;

  /** The command in use, once one has worked (for logs and tests). */
  get command(): string | undefined {
    return this.chosen;
  }

  async list(session: FtpSession, absDir: string): Promise<FileInfo[]> {
    if (session.features.mlst) this.mlstSeen = true;
    if (this.chosen !== undefined) return this.listWith(session, this.chosen, absDir);
    let lastError: unknown;
    for (const candidate of this.mlstSeen ? WITH_MLSD : WITHOUT_MLSD) {
      try {
        const infos = await this.listWith(session, candidate, absDir);
        this.chosen = candidate;
        return infos;
      } catch (err) {
        if (!refusedCommand(err, candidate)) throw err;
        lastError = err;
      }
    }
    throw lastError;
  }

  private listWith(session: FtpSession, command: string, absDir: string): Promise<FileInfo[]> {
    // basic-ftp tries its candidates in order and narrows them to the one that answered; one candidate = no fallback.
    session.client.availableListCommands = [command];
    return session.client.list(absDir);
  }
}
