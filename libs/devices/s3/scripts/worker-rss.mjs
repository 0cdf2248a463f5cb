// Measures what the AWS SDK costs a worker thread: `node --expose-gc libs/devices/s3/scripts/worker-rss.mjs`.
// Per round, two fresh processes each start one worker (the actors' resource limits): one that imports
// @aws-sdk/client-s3, builds a client and makes one request (as the S3 link does), one that loads nothing.
// Prints one JSON line of medians: process RSS added by the worker, and the worker's V8 heap.
import { execFileSync } from 'node:child_process';
import { Worker } from 'node:worker_threads';

if (process.argv[2] === 'probe') {
  const withSdk = process.argv[3] === 'sdk';
  const code = `
    const { parentPort } = require('node:worker_threads');
    (async () => {
      if (${withSdk}) {
        const s3 = await import('@aws-sdk/client-s3');
        const c = new s3.S3Client({ region: 'us-east-1', endpoint: 'http://127.0.0.1:1', forcePathStyle: true, maxAttempts: 1, credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
        await c.send(new s3.HeadObjectCommand({ Bucket: 'b', Key: 'k' })).catch(() => undefined);
      }
      setTimeout(() => parentPort.postMessage(process.memoryUsage().heapUsed), 300);
    })();`;
  const before = process.memoryUsage().rss;
  const worker = new Worker(code, { eval: true, resourceLimits: { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 4 } });
  worker.on('message', (heap) => {
    process.stdout.write(JSON.stringify({ rss: process.memoryUsage().rss - before, heap }));
    void worker.terminate();
  });
} else {
  const rounds = 5;
  const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const mb = (n) => Math.round((n / 2 ** 20) * 10) / 10;
  const runs = { none: [], sdk: [] };
  for (let i = 0; i < rounds; i++) {
    for (const kind of ['none', 'sdk']) {
      const out = execFileSync(process.execPath, ['--no-warnings', new URL(import.meta.url).pathname, 'probe', kind], { encoding: 'utf8' });
      runs[kind].push(JSON.parse(out));
    }
  }
  const figure = (kind) => ({ rssMb: mb(median(runs[kind].map((r) => r.rss))), heapMb: mb(median(runs[kind].map((r) => r.heap))) });
  console.log(JSON.stringify({ rounds, workerWithoutSdk: figure('none'), workerWithSdk: figure('sdk') }));
}
