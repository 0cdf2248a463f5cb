/**
 * `nx run simulators:flight-review` — the simulated Flight Review site as a process. Prints one
 * JSON ready line naming its endpoints (ARCHITECTURE.md, Conventions), then serves until killed.
 */
import { parseArgs } from 'node:util';
import { type FaultSpec, validateFault } from './faults';
import { startFlightReviewSimulator } from './server';

const USAGE = `usage: flight-review --root DIR [--port 0] [--control-port 0] [--max-bytes N] [--discard]
  faults (queued in this order, each for the next N uploads):
  --fault-5xx N            answer 500 to N uploads
  --fault-429 N            answer 429 with Retry-After (--retry-after SEC, default 1)
  --fault-413 N            answer 413 before reading the body
  --slow-accept-ms MS      wait MS before reading the next upload's body
  --drop-after BYTES       drop the next upload's connection after BYTES of body
  --fault JSON             any fault as JSON, e.g. {"type":"stall","afterBytes":65536,"delayMs":2000,"times":2}`;

function int(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name}: expected a whole number, got ${value}`);
  return n;
}

function faultsFrom(values: Record<string, string | boolean | string[] | undefined>): FaultSpec[] {
  const str = (k: string): string | undefined => (typeof values[k] === 'string' ? (values[k] as string) : undefined);
  const out: FaultSpec[] = [];
  const n5xx = int('fault-5xx', str('fault-5xx'));
  if (n5xx) out.push({ type: 'status', status: 500, times: n5xx });
  const n429 = int('fault-429', str('fault-429'));
  if (n429) out.push({ type: 'status', status: 429, retryAfterSec: int('retry-after', str('retry-after')) ?? 1, times: n429 });
  const n413 = int('fault-413', str('fault-413'));
  if (n413) out.push({ type: 'status', status: 413, times: n413 });
  const slow = int('slow-accept-ms', str('slow-accept-ms'));
  if (slow !== undefined) out.push({ type: 'stall', afterBytes: 0, delayMs: slow });
  const drop = int('drop-after', str('drop-after'));
  if (drop !== undefined) out.push({ type: 'drop', afterBytes: drop });
  for (const json of (values['fault'] as string[] | undefined) ?? []) {
    const spec: unknown = JSON.parse(json);
    validateFault(spec);
    out.push(spec);
  }
  return out;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '0' },
      'control-port': { type: 'string', default: '0' },
      root: { type: 'string' },
      'max-bytes': { type: 'string' },
      discard: { type: 'boolean', default: false },
      'fault-5xx': { type: 'string' },
      'fault-429': { type: 'string' },
      'retry-after': { type: 'string' },
      'fault-413': { type: 'string' },
      'slow-accept-ms': { type: 'string' },
      'drop-after': { type: 'string' },
      fault: { type: 'string', multiple: true },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help || !values.root) {
    console.error(USAGE);
    process.exitCode = values.help ? 0 : 2;
    return;
  }
  const maxBytes = int('max-bytes', values['max-bytes']);
  const sim = await startFlightReviewSimulator({
    root: values.root,
    port: int('port', values.port) ?? 0,
    controlPort: int('control-port', values['control-port']) ?? 0,
    discard: values.discard,
    faults: faultsFrom(values),
    ...(maxBytes === undefined ? {} : { maxBytes }),
  });
  process.stdout.write(`${JSON.stringify({ ready: true, sim: 'flight-review', http: sim.http, control: sim.control })}\n`);
  const stop = (): void => void sim.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error(`flight-review: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(2);
});
