/**
 * Lines the power-loss child prints on stdout, one per line:
 * - `READY` after openCatalog returned;
 * - `REPAIR <report json>` if openCatalog had to repair (the parent treats that as a failure);
 * - `W <Intent json>` just before a change is committed, `D` just after its commit returned.
 * A `W` without its `D` means the kill landed around that commit: the store may hold it or not.
 */
export type Intent =
  | { readonly op: 'found'; readonly f: string; readonly targets: readonly string[] }
  | { readonly op: 'file'; readonly f: string; readonly s: string; readonly o: number; readonly e: 0 | 1 }
  | { readonly op: 'target'; readonly f: string; readonly t: string; readonly s: string; readonly o: number; readonly e: 0 | 1 }
  | { readonly op: 'backup' };

export const TARGETS = ['ftp', 'review'] as const;
