/**
 * Whether the store honours `If-None-Match: *` on PutObject: refuses (412) to replace an object that
 * is there. AWS S3 does since August 2024, as do MinIO, Ceph RGW and Cloudflare R2; s3rver and older
 * stores ignore the header and overwrite. Honoured, a small file costs one request: the conditional
 * PUT is its own collision check, and only a refusal takes it down the HEAD path. Until then each small
 * file is HEADed before its PUT, as every file was before.
 *
 * The proof needs no object of anyone else's: the first small file the target places (after a HEAD
 * found its key free) is PUT once more, conditionally, with the same bytes and metadata. A refusal
 * proves the header honoured; an overwrite proves it ignored and rewrote our own object with itself.
 * A proof that fails (network) leaves it unproven, and the next placed file tries again.
 */
export class ConditionalPuts {
  private state: 'unproven' | 'proving' | 'honoured' | 'ignored' = 'unproven';

  /** A PUT with `If-None-Match: *` may stand in for the HEAD before it. */
  get honoured(): boolean {
    return this.state === 'honoured';
  }

  /** True once while unproven (the caller then runs the proof and reports it); false while one runs or once known. */
  startProof(): boolean {
    if (this.state !== 'unproven') return false;
    this.state = 'proving';
    return true;
  }

  /** The proof's answer: the second conditional PUT was refused (`honoured`) or it overwrote. */
  proved(honoured: boolean): void {
    this.state = honoured ? 'honoured' : 'ignored';
  }

  /** The proof could not be made; a later placed file makes it. */
  unproven(): void {
    this.state = 'unproven';
  }
}
