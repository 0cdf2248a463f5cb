// The flash simulator as a process: `tsx simulators/flash/main.ts --root DIR [flags]`.
// Prints one JSON ready line naming the mount point, the mount table and the control API.
import { parseArgs } from 'node:util';
import { startControlServer } from './control-api';
import { FLIR_DEFAULTS } from './flir-content';
import { startFlashSimulator } from './flash-simulator';

const USAGE = `usage: main.ts --root DIR [--port 0] [--seed 1] [--label FLIR] [--uuid XXXX-XXXX]
  [--sessions 3] [--images 12] [--videos 1] [--jpeg-kib 250-650] [--video-mib 8-24] [--empty] [--no-insert]
  [--unplug-after PATH:BYTES]... [--unreadable PATH]... [--slow-ms N] [--hang PATH]...`;

function range(text: string | undefined, unit: number, fallback: readonly [number, number]): readonly [number, number] {
  if (text === undefined) return fallback;
  const m = /^(\d+(?:\.\d+)?)(?:-(\d+(?:\.\d+)?))?$/.exec(text);
  if (!m) throw new Error(`bad range "${text}" (expected N or MIN-MAX)`);
  const min = Math.round(Number(m[1]) * unit);
  return [min, m[2] === undefined ? min : Math.round(Number(m[2]) * unit)];
}

function int(text: string | undefined, name: string, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a whole number ≥ 0, got "${text}"`);
  return n;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      root: { type: 'string' },
      port: { type: 'string', default: '0' },
      seed: { type: 'string' },
      label: { type: 'string' },
      uuid: { type: 'string' },
      sessions: { type: 'string' },
      images: { type: 'string' },
      videos: { type: 'string' },
      'jpeg-kib': { type: 'string' },
      'video-mib': { type: 'string' },
      empty: { type: 'boolean', default: false },
      'no-insert': { type: 'boolean', default: false },
      'unplug-after': { type: 'string', multiple: true },
      unreadable: { type: 'string', multiple: true },
      'slow-ms': { type: 'string' },
      hang: { type: 'string', multiple: true },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help || values.root === undefined) {
    console.error(USAGE);
    process.exit(values.help ? 0 : 2);
  }
  const sim = await startFlashSimulator({
    root: values.root,
    seed: int(values.seed, 'seed', 1),
    ...(values.label === undefined ? {} : { label: values.label }),
    ...(values.uuid === undefined ? {} : { uuid: values.uuid }),
    content: values.empty
      ? false
      : {
          sessions: int(values.sessions, 'sessions', FLIR_DEFAULTS.sessions),
          imagesPerSession: int(values.images, 'images', FLIR_DEFAULTS.imagesPerSession),
          videosPerSession: int(values.videos, 'videos', FLIR_DEFAULTS.videosPerSession),
          jpegBytes: range(values['jpeg-kib'], 1024, FLIR_DEFAULTS.jpegBytes),
          videoBytes: range(values['video-mib'], 1024 * 1024, FLIR_DEFAULTS.videoBytes),
        },
    insert: !values['no-insert'],
  });
  for (const spec of values['unplug-after'] ?? []) {
    const at = spec.lastIndexOf(':');
    if (at <= 0) throw new Error(`--unplug-after wants PATH:BYTES, got "${spec}"`);
    sim.setUnplugAfter(spec.slice(0, at), int(spec.slice(at + 1), 'unplug-after', 0));
  }
  for (const path of values.unreadable ?? []) sim.setUnreadable(path);
  for (const path of values.hang ?? []) sim.setHang(path);
  sim.setSlow(int(values['slow-ms'], 'slow-ms', 0));
  const control = await startControlServer(sim, int(values.port, 'port', 0));

  const stop = (): void => {
    void control.close().then(() => sim.close()).finally(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);

  const files = sim.card.files;
  console.log(
    JSON.stringify({
      ready: true,
      sim: 'flash',
      mountPoint: sim.mountPointOf(),
      mountTable: sim.mountTable,
      diskDir: sim.diskDir,
      uuid: sim.card.uuid,
      label: sim.card.label,
      inserted: sim.inserted() !== undefined,
      files: files.length,
      bytes: files.reduce((n, f) => n + f.size, 0),
      control: control.url,
    }),
  );
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
