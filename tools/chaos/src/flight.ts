import { randomBytes } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { control } from './control';
import { KIB, MIB } from './content';
import { type ManifestEntry, manifestKey, sha256File } from './manifest';
import type { Rng } from './prng';
import type { ChaosWorld, SourceInfo } from './world';
// The PX4 simulator's ULog header, so that a flight's log is one an upload site accepts; a relative path,
// as world.ts does for the simulator launcher (simulators are not a library).
// eslint-disable-next-line @nx/enforce-module-boundaries
import { ulogHeader } from '../../../simulators/px4/sd-card';

/** The PX4 logs of flight `n` start at this instant, one hour apart, so that their names never repeat. */
const FIRST_FLIGHT = Date.UTC(2027, 0, 1, 6, 0, 0);

/**
 * What one flight leaves on the drone's devices: a PX4 log, a few FLIR images (sometimes a video) on
 * the flash drive, a few files on the FTP camera. Each file is written under a temporary name and
 * renamed into place, as a camera closes a file before it shows in a listing, so the agent never
 * lists a half-written file as a version of its own.
 */
export async function addFlight(world: ChaosWorld, n: number, rng: Rng): Promise<ManifestEntry[]> {
  const added: ManifestEntry[] = [];
  const put = async (source: SourceInfo, root: string, path: string, size: number, head: Uint8Array = new Uint8Array(0)): Promise<void> => {
    const file = join(root, path);
    const tmp = join(world.dir, `flight-${n}.tmp`);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(tmp, Buffer.concat([head, randomBytes(size - head.length)]));
    await rename(tmp, file);
    added.push({ source, path, size, sha256: await sha256File(file) });
  };
  const at = new Date(FIRST_FLIGHT + n * 3600_000).toISOString();
  const px4 = world.sources.find((s) => s.configId === 'px4');
  const started = BigInt(FIRST_FLIGHT + n * 3600_000) * 1000n;
  if (px4) await put(px4, px4.dirs[0]!, `${at.slice(0, 10)}/${at.slice(11, 19).replaceAll(':', '_')}.ulg`, rng.int(40_000, 250_000), ulogHeader(started));
  const flir = world.sources.find((s) => s.configId === 'flir');
  if (flir) {
    // Written to the card where it is now: a previous round's whole-drone cut may have left it pulled.
    const state = await control<{ inserted: { mountPoint: string } | null }>(world.controlUrl('flash'), 'GET', '/state');
    const root = state.inserted?.mountPoint ?? flir.dirs[1]!;
    const dir = `FLIGHT${String(n).padStart(4, '0')}`;
    const images = rng.int(2, 4);
    for (let i = 0; i < images; i++) await put(flir, root, `${dir}/IMG_${String(i).padStart(4, '0')}.jpg`, rng.int(40 * KIB, 300 * KIB));
    if (rng.chance(0.5)) await put(flir, root, `${dir}/VID_0000.mp4`, rng.int(1 * MIB, 3 * MIB));
  }
  const camera = world.sources.find((s) => s.configId === 'camera');
  if (camera) {
    const files = rng.int(2, 4);
    for (let i = 0; i < files; i++) {
      const big = i === 0;
      await put(camera, camera.dirs[0]!, `flight/${n}/IMG_${String(i).padStart(4, '0')}.${big ? 'mp4' : 'jpg'}`, big ? rng.int(1 * MIB, 3 * MIB) : rng.int(1, 600 * KIB));
    }
  }
  return added;
}

export function toManifest(entries: readonly ManifestEntry[]): Map<string, ManifestEntry> {
  return new Map(entries.map((e) => [manifestKey(e.source.catalogId, e.path), e]));
}
