import { createReadStream } from 'node:fs';
import { classifyError, createHasher, type ErrorData, type HashName } from '@filesync/core';
import { errorToData } from './exit-reason';

/** Work the piscina pool runs off the actors: hashing whole staged files. */
export type CpuTask = { readonly type: 'cpu.hash-file'; readonly path: string; readonly algorithm: HashName };

export type CpuResult = { readonly ok: true; readonly value: string } | { readonly ok: false; readonly error: ErrorData };

async function hashFile(path: string, algorithm: HashName): Promise<string> {
  const hasher = createHasher(algorithm);
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hasher.update(chunk as Buffer);
  return hasher.digest();
}

/** The pool's task function. Errors come back as data (classified errno), never as a thrown clone. */
export default async function runCpuTask(task: CpuTask): Promise<CpuResult> {
  try {
    if (task.type !== 'cpu.hash-file') throw new Error(`unknown cpu task ${JSON.stringify(task)}`);
    return { ok: true, value: await hashFile(task.path, task.algorithm) };
  } catch (err) {
    return { ok: false, error: errorToData(classifyError(err)) };
  }
}
