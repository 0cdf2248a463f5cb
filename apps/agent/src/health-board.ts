import type { HealthSnapshot, PipelineHealth } from '@filesync/pipeline';

const HEALTH_RANK = { up: 0, degraded: 1, down: 2 } as const;

/** The worst of what the stages of one device report: a link the finder cannot list is down even while the cleaner idles. */
function worst(a: HealthSnapshot | undefined, b: HealthSnapshot): HealthSnapshot {
  return a === undefined || HEALTH_RANK[b.state] > HEALTH_RANK[a.state] ? b : a;
}

/**
 * The devices' health as `status()` shows it, from the stage workers' reports. A group's report
 * replaces that group's previous one whole: a device the group no longer reports (a drive's volume
 * pulled, then back under its own id) leaves the status instead of staying beside its successor.
 * A group none of whose workers answered (restarting) keeps its last report.
 */
export class HealthBoard {
  private readonly groups = new Map<string, { readonly role: 'source' | 'target'; readonly devices: Record<string, HealthSnapshot> }>();
  private current: PipelineHealth = { sources: {}, targets: {} };

  get health(): PipelineHealth {
    return this.current;
  }

  /** One poll of group `role:id`: each stage's reply, `undefined` for a stage that did not answer. */
  report(role: 'source' | 'target', id: string, replies: readonly (Readonly<Record<string, HealthSnapshot>> | undefined)[]): void {
    if (replies.every((r) => r === undefined)) return;
    const devices: Record<string, HealthSnapshot> = {};
    for (const reply of replies) for (const [device, h] of Object.entries(reply ?? {})) devices[device] = worst(devices[device], h);
    this.groups.set(`${role}:${id}`, { role, devices });
    const of = (r: 'source' | 'target'): Record<string, HealthSnapshot> =>
      Object.assign({}, ...[...this.groups.values()].filter((g) => g.role === r).map((g) => g.devices)) as Record<string, HealthSnapshot>;
    this.current = { sources: of('source'), targets: of('target') };
  }
}
