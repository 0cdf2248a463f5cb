import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startControl } from './control';
import { type Endpoint, startPtyEndpoint, startUdpEndpoint } from './endpoints';
import type { Faults } from './faults';
import type { LoggingMode } from './logger';
import { DEFAULT_SD_CARD, generateSdCard, isEmptyDir } from './sd-card';
import { Vehicle } from './vehicle';
import { flagNumber } from '../shared/flag-number';

/**
 * `tsx simulators/px4/main.ts --port 0 --root DIR [--udp-remote HOST:PORT] [faults…]` — prints one JSON ready line:
 * {"ready":true,"sim":"px4","udp":"127.0.0.1:P","pty":"/dev/pts/N","control":"http://127.0.0.1:Q"}
 */
const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    'udp-remote': { type: 'string' },
    'control-port': { type: 'string', default: '0' },
    root: { type: 'string', default: 'tmp/sim/px4' },
    'no-pty': { type: 'boolean', default: false },
    sysid: { type: 'string', default: '1' },
    compid: { type: 'string', default: '1' },
    logs: { type: 'string' },
    'min-bytes': { type: 'string' },
    'max-bytes': { type: 'string' },
    seed: { type: 'string' },
    'loss-up': { type: 'string' },
    'loss-down': { type: 'string' },
    loss: { type: 'string' },
    dup: { type: 'string' },
    reorder: { type: 'string' },
    'latency-ms': { type: 'string' },
    baud: { type: 'string' },
    'tx-buffer': { type: 'string' },
    armed: { type: 'boolean', default: false },
    'session-timeout-ms': { type: 'string' },
    'burst-stop-after': { type: 'string' },
    'second-gcs': { type: 'string' },
    px4: { type: 'string' },
    'wrong-crc': { type: 'string', multiple: true },
    grow: { type: 'string', multiple: true },
    'stale-session': { type: 'boolean', default: false },
    logging: { type: 'string' },
    'log-rate': { type: 'string' },
  },
  strict: true,
});

async function main(): Promise<void> {
  const root = resolve(values.root);
  await mkdir(root, { recursive: true });
  if (await isEmptyDir(root)) {
    await generateSdCard(root, {
      logs: flagNumber('logs', values.logs) ?? DEFAULT_SD_CARD.logs,
      minBytes: flagNumber('min-bytes', values['min-bytes']) ?? DEFAULT_SD_CARD.minBytes,
      maxBytes: flagNumber('max-bytes', values['max-bytes']) ?? DEFAULT_SD_CARD.maxBytes,
      seed: flagNumber('seed', values.seed) ?? DEFAULT_SD_CARD.seed,
      denseBytes: DEFAULT_SD_CARD.denseBytes,
    });
  }
  const loss = flagNumber('loss', values.loss);
  const faults: Partial<Faults> = {};
  const set = (key: keyof Faults, v: number | undefined): void => {
    if (v !== undefined) (faults as Record<string, unknown>)[key] = v;
  };
  set('lossUp', flagNumber('loss-up', values['loss-up']) ?? loss);
  set('lossDown', flagNumber('loss-down', values['loss-down']) ?? loss);
  set('dup', flagNumber('dup', values.dup));
  set('reorder', flagNumber('reorder', values.reorder));
  set('latencyMs', flagNumber('latency-ms', values['latency-ms']));
  set('baud', flagNumber('baud', values.baud));
  set('txBuffer', flagNumber('tx-buffer', values['tx-buffer']));
  set('sessionTimeoutMs', flagNumber('session-timeout-ms', values['session-timeout-ms']));
  set('burstStopAfterFrames', flagNumber('burst-stop-after', values['burst-stop-after']));
  if (values.armed) faults.armed = true;
  if (values['second-gcs'] !== undefined) (faults as Record<string, unknown>)['secondGcs'] = values['second-gcs'];
  if (values.px4 !== undefined) (faults as Record<string, unknown>)['px4'] = values.px4;
  if (values['wrong-crc']) faults.wrongCrc = Object.fromEntries(values['wrong-crc'].map((p) => [p, 'always' as const]));
  if (values.grow) {
    faults.grow = Object.fromEntries(
      values.grow.map((spec) => {
        const at = spec.lastIndexOf(':');
        return [spec.slice(0, at), flagNumber('grow', spec.slice(at + 1)) ?? 0];
      }),
    );
  }

  if (values.logging !== undefined && values.logging !== 'boot' && values.logging !== 'armed') throw new Error(`--logging must be "boot" or "armed", got "${values.logging}"`);
  // PX4 SITL's logger writes about 0.23 MB/s.
  const logging = values.logging === undefined ? undefined : { mode: values.logging as LoggingMode, bytesPerSec: flagNumber('log-rate', values['log-rate']) ?? 200_000 };
  const vehicle = new Vehicle({ root, sysid: flagNumber('sysid', values.sysid) ?? 1, compid: flagNumber('compid', values.compid) ?? 1, faults, ...(logging ? { logging } : {}) });
  const endpoints: Endpoint[] = [];
  const remoteSpec = values['udp-remote'];
  const remoteMatch = remoteSpec === undefined ? undefined : /^([^:]+):(\d+)$/.exec(remoteSpec);
  if (remoteSpec !== undefined && !remoteMatch) throw new Error(`--udp-remote must be HOST:PORT, got "${remoteSpec}"`);
  const remote = remoteMatch ? { address: remoteMatch[1]!, port: Number(remoteMatch[2]) } : undefined;
  const udp = await startUdpEndpoint(vehicle, flagNumber('port', values.port) ?? 0, '127.0.0.1', remote);
  endpoints.push(udp);
  let pty: Endpoint | undefined;
  if (!values['no-pty']) {
    pty = await startPtyEndpoint(vehicle);
    endpoints.push(pty);
  }
  const control = await startControl(vehicle, flagNumber('control-port', values['control-port']) ?? 0);
  if (values['stale-session']) vehicle.leaveStaleSession();

  const shutdown = async (): Promise<void> => {
    vehicle.close();
    await Promise.all(endpoints.map((e) => e.close()));
    await control.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown());
  process.on('SIGTERM', () => void shutdown());
  process.stdout.write(
    `${JSON.stringify({ ready: true, sim: 'px4', udp: udp.address, ...(pty ? { pty: pty.address } : {}), control: control.url, root, sysid: vehicle.sysid, compid: vehicle.compid })}\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`px4 simulator: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
