import { describe, expect, it } from 'vitest';
import { collect } from '@filesync/core/testing';
import { reportProgress } from './progress-stream';

const MIB = 1024 * 1024;

async function* chunks(count: number, bytes: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < count; i++) yield new Uint8Array(bytes);
}

describe('reportProgress', () => {
  it('reports once the first bytes have passed, then only as time passes, never at the end', async () => {
    const reports: number[] = [];
    const out = await collect(reportProgress(chunks(40, MIB / 4), 3 * MIB, (at) => void reports.push(at), MIB, 60_000));
    expect(out.length).toBe(10 * MIB);
    // 10 MiB in a moment: the record that shows the upload under way, and no other (a commit each).
    expect(reports).toEqual([4 * MIB]);
  });

  it('a stream shorter than the first bytes reports nothing: its commit records it', async () => {
    const reports: number[] = [];
    await collect(reportProgress(chunks(3, 1000), 0, (at) => void reports.push(at), MIB, 60_000));
    expect(reports).toEqual([]);
  });
});
