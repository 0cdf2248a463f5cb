import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { type FaultPatch, parseFaultPatch } from './faults';
import { startFtpSimulator } from './ftp-simulator';
import { flagNumber } from '../shared/flag-number';

const USAGE = `usage: tsx simulators/ftp/main.ts --root DIR [--port 0] [--control-port 0] [options]
  --user NAME --password PW       the account (default filesync/filesync); --anonymous also allows anonymous
  --tls-cert FILE --tls-key FILE  offer explicit FTPS (AUTH TLS); add --implicit-tls for implicit FTPS
  --no-hash                       do not offer HASH/XSHA256
  --no-seed                       do not fill an empty root with generated content
  --faults JSON                   initial faults, e.g. '{"dropDataAfterBytes":100000}'
  --refuse-for-ms N  --drop-data-after N  --stall-after N --stall-ms N  --no-space-after N  --quota N
  --rnfr-550 N  --lose-rename-reply N  --delete-parts-on-disconnect  --no-size-rest  --bandwidth BYTES_PER_S`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      root: { type: 'string' },
      port: { type: 'string', default: '0' },
      'control-port': { type: 'string', default: '0' },
      user: { type: 'string' },
      password: { type: 'string' },
      anonymous: { type: 'boolean', default: false },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      'implicit-tls': { type: 'boolean', default: false },
      'no-hash': { type: 'boolean', default: false },
      'no-seed': { type: 'boolean', default: false },
      faults: { type: 'string' },
      'refuse-for-ms': { type: 'string' },
      'drop-data-after': { type: 'string' },
      'stall-after': { type: 'string' },
      'stall-ms': { type: 'string' },
      'no-space-after': { type: 'string' },
      quota: { type: 'string' },
      'rnfr-550': { type: 'string' },
      'lose-rename-reply': { type: 'string' },
      'delete-parts-on-disconnect': { type: 'boolean', default: false },
      'no-size-rest': { type: 'boolean', default: false },
      bandwidth: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help || values.root === undefined) {
    console.error(USAGE);
    process.exit(values.help ? 0 : 2);
  }
  const fromFlags: Record<string, unknown> = {
    refuseForMs: flagNumber('refuse-for-ms', values['refuse-for-ms']),
    dropDataAfterBytes: flagNumber('drop-data-after', values['drop-data-after']),
    stallAfterBytes: flagNumber('stall-after', values['stall-after']),
    stallMs: flagNumber('stall-ms', values['stall-ms']),
    noSpaceAfterBytes: flagNumber('no-space-after', values['no-space-after']),
    quotaBytes: flagNumber('quota', values.quota),
    rnfr550Times: flagNumber('rnfr-550', values['rnfr-550']),
    loseRenameReplyTimes: flagNumber('lose-rename-reply', values['lose-rename-reply']),
    bandwidthBytesPerSec: flagNumber('bandwidth', values.bandwidth),
    deletePartsOnDisconnect: values['delete-parts-on-disconnect'] || undefined,
    noSizeRest: values['no-size-rest'] || undefined,
  };
  for (const key of Object.keys(fromFlags)) if (fromFlags[key] === undefined) delete fromFlags[key];
  const faults: FaultPatch = parseFaultPatch({ ...(values.faults ? (JSON.parse(values.faults) as object) : {}), ...fromFlags });
  const tls =
    values['tls-cert'] && values['tls-key']
      ? { cert: readFileSync(values['tls-cert'], 'utf8'), key: readFileSync(values['tls-key'], 'utf8') }
      : undefined;
  const controlPort = flagNumber('control-port', values['control-port']) ?? 0;
  const sim = await startFtpSimulator({
    root: values.root,
    port: flagNumber('port', values.port) ?? 0,
    controlPort,
    ...(values.user !== undefined ? { user: values.user } : {}),
    ...(values.password !== undefined ? { password: values.password } : {}),
    anonymous: values.anonymous,
    ...(tls ? { tls, implicitTls: values['implicit-tls'] } : {}),
    hash: !values['no-hash'],
    seed: !values['no-seed'],
    faults,
  });
  process.stdout.write(`${JSON.stringify(sim.readyLine)}\n`);
  const stop = (): void => {
    void sim.stop().finally(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err: unknown) => {
  console.error(`ftp simulator: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
