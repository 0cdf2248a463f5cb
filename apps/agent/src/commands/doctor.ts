import { type Config, ConfigError, loadConfig } from '@filesync/core/config';
import { agentRunning } from '../agent-running';
import { type CliIo, EXIT_BAD_INPUT, EXIT_FAULT } from '../cli-io';
import { configFileFrom } from '../config-file';
import { checkCatalog } from '../doctor/check-catalog';
import { checkClock } from '../doctor/check-clock';
import { checkStaging } from '../doctor/check-staging';
import { type Finding, fail, ok, warn } from '../doctor/finding';
import { healthFindings, probeDevices } from '../doctor/probe-devices';
import { checkSecrets } from './check-secrets';

const LABEL: Record<Finding['level'], string> = { ok: 'ok  ', warn: 'WARN', fail: 'FAIL' };

/** Everything but the config itself: secrets, devices (asked of the running agent, else reached directly), disk, clock, catalog. */
async function examine(config: Config, file: string, timeoutMs: number): Promise<Finding[]> {
  const findings: Finding[] = [];
  const secrets = checkSecrets(config);
  for (const p of secrets.problems) findings.push(fail('config', `${p.path}: ${p.message}`, 'set the variable or make the file readable by the agent\'s user'));
  const agent = await agentRunning(config, file);
  findings.push(agent.running === true ? ok('agent', agent.why) : warn('agent', agent.why, agent.running === null ? 'devices are reached directly' : 'start it with `filesync serve`'));
  // A running agent holds its links (a MAVFTP link allows one session): ask it instead of competing.
  findings.push(...(agent.running === true ? healthFindings(config, agent.status) : await probeDevices(config, timeoutMs)));
  findings.push(await checkStaging(config));
  const catalog = checkCatalog(config);
  findings.push(checkClock(Date.now(), catalog.latestEventAt), catalog.finding);
  return findings;
}

/**
 * `filesync doctor`: checks the config, its secrets, each device's reachability (with the cause text
 * status shows), staging free space, the clock and the catalog, with advice per finding. Exit 0 when
 * nothing failed (warnings allowed), 1 when something did, 2 for a config that does not load.
 */
export async function doctor(configOption: string | undefined, options: { json: boolean; timeoutSec: number }, io: CliIo): Promise<number> {
  const file = configFileFrom(configOption);
  let findings: Finding[];
  let config: Config | undefined;
  try {
    config = loadConfig(file);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    findings = err.problems.map((p) => fail('config', `${p.path}: ${p.message}`, 'fix the field; `filesync check-config FILE` lists every one'));
  }
  if (config !== undefined) findings = [ok('config', `${file} loads`), ...(await examine(config, file, options.timeoutSec * 1000))];
  findings ??= [];
  if (options.json) io.out(JSON.stringify({ config: file, findings }));
  else for (const f of findings) io.out(`${LABEL[f.level]}  ${f.area}: ${f.message}${f.advice === undefined ? '' : ` → ${f.advice}`}`);
  if (config === undefined) return EXIT_BAD_INPUT;
  return findings.some((f) => f.level === 'fail') ? EXIT_FAULT : 0;
}
