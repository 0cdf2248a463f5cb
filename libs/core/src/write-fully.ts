import type { FsFileHandle } from './fs-calls';

/**
 * Writes all of `chunk` at `position`. A disk with less room than the chunk takes part of it — write()
 * returns a short count — and fails only the next write with ENOSPC: counting the whole chunk as written
 * would let a checkpoint record, or a commit seal, bytes that are not in the file.
 */
export async function writeFully(handle: Pick<FsFileHandle, 'write'>, chunk: Uint8Array, position: number): Promise<void> {
  for (let done = 0; done < chunk.length; ) {
    const { bytesWritten } = await handle.write(chunk, done, chunk.length - done, position + done);
    // Each pass writes at least a byte or fails; a write of nothing would loop forever.
    if (bytesWritten <= 0) throw Object.assign(new Error(`ENOSPC: nothing written at offset ${position + done}`), { code: 'ENOSPC' });
    done += bytesWritten;
  }
}
