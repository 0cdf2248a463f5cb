import type { Scenario } from '../scenario';
import { changingWorld } from './changing-world';
import { corruptState } from './corrupt-state';
import { diskFull } from './disk-full';
import { ftpOutage } from './ftp-outage';
import { openLog } from './open-log';
import { powerLoss } from './power-loss';
import { px4Reboot } from './px4-reboot';
import { removalCuts } from './removal-cuts';
import { s3MultipartKills } from './s3-multipart-kills';
import { tornWrites } from './torn-writes';
import { unplug } from './unplug';
import { webdavCuts } from './webdav-cuts';

/** Every scenario, in the order `--scenario all` and the spec run them. */
export const SCENARIOS: readonly Scenario[] = [powerLoss, unplug, ftpOutage, corruptState, px4Reboot, openLog, diskFull, tornWrites, removalCuts, webdavCuts, changingWorld, s3MultipartKills];

export function scenarioNamed(name: string): Scenario {
  const s = SCENARIOS.find((x) => x.name === name);
  if (!s) throw new Error(`no scenario "${name}"; known: ${SCENARIOS.map((x) => x.name).join(', ')}`);
  return s;
}
