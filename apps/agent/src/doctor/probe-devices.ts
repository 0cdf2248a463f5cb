import { type Source, type Target, classifyError, withTimeout } from '@filesync/core';
import type { Config, SourceConfig } from '@filesync/core/config';
import { isSourceProvider, openSource, openTarget } from '@filesync/pipeline';
import { type Finding, fail, ok, warn } from './finding';

/** What to do about a device fault, by its code; the cause text itself is the device's, as status shows it. */
function adviceFor(code: string, kind: 'source' | 'target'): string {
  switch (code) {
    case 'permission':
      return 'check the user and password (filesync check-config --check-secrets FILE)';
    case 'not-found':
      return `check the path in the ${kind}'s config`;
    case 'bad-request':
      return `fix the ${kind}'s config`;
    case 'no-space':
      return 'free space on the device';
    default:
      return 'check that the device is on, connected, and at the address in the config';
  }
}

/** A device that does not answer within `ms` is a fault of its own, named. */
const answerWithin = <T>(work: Promise<T>, ms: number, what: string): Promise<T> => withTimeout(work, ms, `${what}: no answer within ${ms / 1000} s`);

async function firstEntry(source: Source): Promise<string> {
  for await (const entry of source.list()) return `reachable; lists ${entry.path}`;
  return 'reachable; lists no files';
}

/** A drive may be plugged in or not: wait a little for a volume, then list it. */
async function probeSource(config: SourceConfig, timeoutMs: number): Promise<Finding> {
  const area = `source ${config.id}`;
  const opened = await openSource(config);
  try {
    if (!isSourceProvider(opened)) return ok(area, await answerWithin(firstEntry(opened), timeoutMs, config.id));
    let unwatch: () => void = () => undefined;
    const volume = await new Promise<Source | undefined>((resolve) => {
      const timer = setTimeout(() => resolve(undefined), Math.min(timeoutMs, 3000));
      unwatch = opened.watch((source) => {
        if (source === undefined) return;
        clearTimeout(timer);
        resolve(source);
      });
    });
    unwatch();
    if (volume === undefined) return warn(area, 'no volume present', 'plug in the drive (or check the source\'s match rule)');
    return ok(area, `volume ${volume.id}: ${await answerWithin(firstEntry(volume), timeoutMs, volume.id)}`);
  } catch (err) {
    const cause = classifyError(err);
    return fail(area, cause.message, adviceFor(cause.code, 'source'));
  } finally {
    await answerWithin(opened.close(), timeoutMs, `closing ${config.id}`).catch(() => undefined);
  }
}

async function probeTarget(config: Config['targets'][number], dataDir: string, timeoutMs: number): Promise<Finding> {
  const area = `target ${config.id}`;
  let target: Target | undefined;
  try {
    const opened = await openTarget(config, dataDir);
    target = opened;
    await answerWithin(opened.probe ? opened.probe() : opened.stat('.filesync-doctor-probe').then(() => undefined), timeoutMs, config.id);
    return ok(area, 'reachable');
  } catch (err) {
    const cause = classifyError(err);
    return fail(area, cause.message, adviceFor(cause.code, 'target'));
  } finally {
    if (target) await answerWithin(target.close(), timeoutMs, `closing ${config.id}`).catch(() => undefined);
  }
}

/** Each device of the config, reached directly (only while the agent does not run: MAVFTP allows one session). */
export async function probeDevices(config: Config, timeoutMs: number): Promise<Finding[]> {
  const findings: Finding[] = [];
  for (const source of config.sources) findings.push(await probeSource(source, timeoutMs));
  for (const target of config.targets) findings.push(await probeTarget(target, config.dataDir, timeoutMs));
  return findings;
}

type Snapshot = { state?: unknown; cause?: { message?: unknown; code?: unknown } };

/** Each device's health as the running agent reports it (`/api/status`): the same cause text as its status page. */
export function healthFindings(config: Config, status: unknown): Finding[] {
  const health = (status as { health?: { sources?: Record<string, Snapshot>; targets?: Record<string, Snapshot> } } | null)?.health;
  const findings: Finding[] = [];
  const devices = [...config.sources.map((s) => ['source', s.id] as const), ...config.targets.map((t) => ['target', t.id] as const)];
  for (const [kind, configId] of devices) {
    // A drive's source is reported per volume (`flir:28EC-DB59`), or under its config id while none is present.
    const reported = Object.entries(health?.[`${kind}s`] ?? {}).filter(([id]) => id === configId || id.startsWith(`${configId}:`));
    if (reported.length === 0) findings.push(warn(`${kind} ${configId}`, 'not reported by the running agent yet', 'run doctor again in a few seconds'));
    for (const [id, snap] of reported) {
      const cause = typeof snap.cause?.message === 'string' ? snap.cause.message : 'no cause given';
      const code = typeof snap.cause?.code === 'string' ? snap.cause.code : 'unreachable';
      if (snap.state === 'up') findings.push(ok(`${kind} ${id}`, 'up (as the running agent sees it)'));
      else if (snap.state === 'degraded') findings.push(warn(`${kind} ${id}`, `degraded: ${cause}`, adviceFor(code, kind)));
      else findings.push(fail(`${kind} ${id}`, `down: ${cause}`, adviceFor(code, kind)));
    }
  }
  return findings;
}
