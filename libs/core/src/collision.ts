/**
 * The name a file gets when a different file already holds its name under the `rename` policy:
 * `dir/name.ext` → `dir/name-1.ext`, `dir/name-2.ext`, … (no spaces: FTP servers and shells differ on them).
 */
export function collisionName(path: string, n: number): string {
  const slash = path.lastIndexOf('/');
  const dir = path.slice(0, slash + 1);
  const base = path.slice(slash + 1);
  const dot = base.lastIndexOf('.');
  return dot > 0 ? `${dir}${base.slice(0, dot)}-${n}${base.slice(dot)}` : `${dir}${base}-${n}`;
}

/** How many suffixed names a target tries before giving up on a collision. */
export const MAX_COLLISION_SUFFIX = 999;
