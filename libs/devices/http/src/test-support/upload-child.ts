/**
 * A separate uploader process for tests that must not share a heap with vitest: the RSS
 * measurement of a 1 GiB upload, and a crash (SIGKILL) mid-POST.
 * argv[2] is JSON (`ChildJob`); it prints JSON lines: `{"attempt":…}` before each POST, then one
 * `{"done":true,…}` with the receipt and memory figures.
 */
import { createHttpTarget } from '../http-target';
import { ulogStream } from './ulog-content';

export interface ChildJob {
  readonly url: string;
  readonly spoolDir: string;
  readonly path: string;
  readonly bytes: number;
  readonly maxBytes?: number;
  readonly lookupUrl?: string;
  /** Upload 1 MiB first so the RSS baseline includes every code path. */
  readonly warmUp?: boolean;
}

const MIB = 1024 * 1024;

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2] ?? '{}') as ChildJob;
  const target = createHttpTarget({
    id: 'child',
    mode: 'flight-review',
    url: job.url,
    spoolDir: job.spoolDir,
    maxAttempts: 1,
    timeoutSec: 300,
    ...(job.maxBytes === undefined ? {} : { maxBytes: job.maxBytes }),
    ...(job.lookupUrl === undefined ? {} : { lookupUrl: job.lookupUrl }),
    onAttemptStart: (a) => void process.stdout.write(`${JSON.stringify({ attempt: a })}\n`),
  });

  // Warm-up: load every code path once (http agent, fs streams, hashing) so the baseline includes it.
  if (job.warmUp) {
    const warm = ulogStream(MIB);
    await target.write('warm-up.ulg', 0, warm.chunks);
    await target.commit('warm-up.ulg', { size: MIB, sha256: warm.digest() });
  }
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 50);

  const source = ulogStream(job.bytes);
  await target.write(job.path, 0, source.chunks);
  const peakAfterWrite = Math.max(peak, process.memoryUsage().rss);
  const receipt = await target.commit(job.path, { size: job.bytes, sha256: source.digest() });
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  // ru_maxrss is the lifetime peak (KiB on Linux): it cannot miss a spike between samples.
  const maxRss = process.resourceUsage().maxRSS * 1024;
  await target.close();
  process.stdout.write(`${JSON.stringify({ done: true, receipt, sha256: source.digest(), baseline, peakAfterWrite, peak, maxRss })}\n`);
}

main().catch((err: unknown) => {
  process.stdout.write(`${JSON.stringify({ error: err instanceof Error ? err.message : String(err) })}\n`);
  process.exit(1);
});
