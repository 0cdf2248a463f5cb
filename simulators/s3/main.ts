/**
 * `nx run simulators:s3` — the S3 simulator as a process. Prints one JSON ready line naming its
 * endpoints (ARCHITECTURE.md, Conventions), then serves until killed.
 */
import { parseArgs } from 'node:util';
import { type FaultPatch, parseFaultPatch } from './faults';
import { startS3Simulator } from './server';
import { flagNumber } from '../shared/flag-number';

const USAGE = `usage: s3 --root DIR [--port 0] [--control-port 0] [options]
  --access-key KEY --secret-key SECRET  the credentials clients sign with (default filesync/filesync-secret);
                                        SigV4 signatures are verified (403 SignatureDoesNotMatch)
  --no-verify-signature                 check only the key id a request names, not its signature
  --min-part-size BYTES                 smallest part but the last at Complete (default 5 MiB, as AWS)
  --no-seed                             do not fill a root without buckets with the fleet-seed bucket
  --faults JSON                         initial faults, e.g. '{"internalErrorTimes":2}'
  --fault-5xx N  --fault-5xx-rate R  --slow-down N  --drop-part-after BYTES  --complete-error-body N
  --wrong-etag N  --corrupt-data N  --forget-upload N  --refuse-conditional N  --bandwidth BYTES_PER_S  --latency MS`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      root: { type: 'string' },
      port: { type: 'string', default: '0' },
      'control-port': { type: 'string', default: '0' },
      'access-key': { type: 'string', default: 'filesync' },
      'secret-key': { type: 'string', default: 'filesync-secret' },
      'min-part-size': { type: 'string' },
      'no-seed': { type: 'boolean', default: false },
      'no-verify-signature': { type: 'boolean', default: false },
      faults: { type: 'string' },
      'fault-5xx': { type: 'string' },
      'fault-5xx-rate': { type: 'string' },
      'slow-down': { type: 'string' },
      'drop-part-after': { type: 'string' },
      'complete-error-body': { type: 'string' },
      'wrong-etag': { type: 'string' },
      'corrupt-data': { type: 'string' },
      'forget-upload': { type: 'string' },
      'refuse-conditional': { type: 'string' },
      bandwidth: { type: 'string' },
      latency: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help || values.root === undefined) {
    console.error(USAGE);
    process.exit(values.help ? 0 : 2);
  }
  const fromFlags: Record<string, number | undefined> = {
    internalErrorTimes: flagNumber('fault-5xx', values['fault-5xx']),
    internalErrorRate: flagNumber('fault-5xx-rate', values['fault-5xx-rate']),
    slowDownTimes: flagNumber('slow-down', values['slow-down']),
    dropPartAfterBytes: flagNumber('drop-part-after', values['drop-part-after']),
    completeErrorBodyTimes: flagNumber('complete-error-body', values['complete-error-body']),
    wrongEtagTimes: flagNumber('wrong-etag', values['wrong-etag']),
    corruptDataTimes: flagNumber('corrupt-data', values['corrupt-data']),
    forgetUploadTimes: flagNumber('forget-upload', values['forget-upload']),
    conditionalRefusedTimes: flagNumber('refuse-conditional', values['refuse-conditional']),
    bandwidthBytesPerSec: flagNumber('bandwidth', values.bandwidth),
    latencyMs: flagNumber('latency', values.latency),
  };
  for (const key of Object.keys(fromFlags)) if (fromFlags[key] === undefined) delete fromFlags[key];
  const faults: FaultPatch = parseFaultPatch({ ...(values.faults ? (JSON.parse(values.faults) as object) : {}), ...fromFlags });
  const minPartSize = flagNumber('min-part-size', values['min-part-size']);
  const sim = await startS3Simulator({
    root: values.root,
    port: flagNumber('port', values.port) ?? 0,
    controlPort: flagNumber('control-port', values['control-port']) ?? 0,
    accessKeyId: values['access-key'],
    ...(values['no-verify-signature'] ? {} : { secretAccessKey: values['secret-key'] }),
    seed: !values['no-seed'],
    faults,
    ...(minPartSize === undefined ? {} : { minPartSize }),
  });
  process.stdout.write(`${JSON.stringify(sim.readyLine)}\n`);
  const stop = (): void => void sim.close().finally(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err: unknown) => {
  console.error(`s3 simulator: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(2);
});
