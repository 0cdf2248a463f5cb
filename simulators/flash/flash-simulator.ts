import { mkdir, readFile, readdir, rename, rm, stat, symlink, unlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { type FlirContentOptions, type GeneratedFile, writeFlirCard } from './flir-content';
import { writeMountTable } from './mount-table';
import { createRandom, mixSeed } from './random';

export interface FlashSimulatorOptions {
  /** Directory for everything: cards, mount points, the mount table and the fake `/dev/disk`. */
  readonly root: string;
  /** Seed of the default card's names and bytes; default 1. */
  readonly seed?: number;
  /** Label of the default card; default `FLIR`. */
  readonly label?: string;
  /** UUID of the default card; default derived from the seed (FAT style, `1A2B-3C4D`). */
  readonly uuid?: string;
  /** Content of the default card; `false` for an empty card. */
  readonly content?: FlirContentOptions | false;
  /** Insert the default card at start; default true. */
  readonly insert?: boolean;
}

export interface CardInfo {
  readonly uuid: string;
  readonly label: string;
  /** Files generated on it (empty for a card filled by hand). */
  readonly files: readonly GeneratedFile[];
}

export interface CardOptions {
  readonly uuid?: string;
  readonly label?: string;
  /** Seed of the names: two cards with the same seed have the same file names. */
  readonly seed?: number;
  readonly content?: FlirContentOptions | false;
}

/** A positional read the device is about to make, reported through its read gate. */
export interface GateRequest {
  readonly path: string;
  readonly offset: number;
  readonly length: number;
}

export type GateReply = { readonly action: 'ok' } | { readonly action: 'fail'; readonly errno: string };

export interface FlashFaults {
  /** Pull the drive when a read reaches past `bytes` of `path` (each fires once). */
  readonly unplugAfter: ReadonlyArray<{ readonly path: string; readonly bytes: number }>;
  /** Reads of `path` reaching past `offset` fail with `errno`, every time (a bad cluster). */
  readonly unreadable: ReadonlyArray<{ readonly path: string; readonly offset: number; readonly errno: string }>;
  /** Every read waits this long first. */
  readonly slowMs: number;
  /** Reads of these paths never return (a dead USB device), until the faults are cleared. */
  readonly hang: readonly string[];
}

export interface FlashState {
  readonly inserted: { readonly uuid: string; readonly label: string; readonly mountPoint: string } | null;
  readonly cards: ReadonlyArray<{ readonly uuid: string; readonly label: string }>;
  readonly faults: FlashFaults;
  /** Read gate calls seen, and the bytes they asked for. */
  readonly gateCalls: number;
  readonly gateBytes: number;
}

export interface FlashSimulator {
  readonly root: string;
  /** mountinfo-format table the simulator rewrites on every insert and unplug. */
  readonly mountTable: string;
  /** Fake `/dev/disk`: `by-uuid/<uuid>` and `by-label/<label>` link to the fake device node. */
  readonly diskDir: string;
  /** The default card. */
  readonly card: CardInfo;
  /** Where a card with this label is mounted (default: the default card's label). */
  mountPointOf(label?: string): string;
  /** Where a card's files are now: its mount point while inserted, its backing directory otherwise. */
  cardDir(uuid: string): string;
  /** Makes a card (generated content, or empty to be filled through `cardDir`), not inserted. */
  createCard(options?: CardOptions): Promise<CardInfo>;
  /** Inserts a card (default: the default card), pulling whichever is in first. */
  insert(uuid?: string): Promise<{ uuid: string; mountPoint: string }>;
  /** Pulls the inserted card: its files vanish from the mount point, then the device node, links and mount go. */
  unplug(): Promise<void>;
  inserted(): CardInfo | undefined;
  setUnplugAfter(path: string, bytes: number): void;
  setUnreadable(path: string, options?: { offset?: number; errno?: string }): void;
  setSlow(ms: number): void;
  setHang(path: string): void;
  clearFaults(): void;
  /** The device's read gate lands here: applies slow reads, hangs, unplugs and read errors. */
  gate(request: GateRequest): Promise<GateReply>;
  state(): FlashState;
  close(): Promise<void>;
}

const DEVICE_NODE = 'sdb1';

function fatUuid(seed: number): string {
  const random = createRandom(mixSeed('uuid', seed));
  const hex = (): string => Math.floor(random() * 0x10000).toString(16).toUpperCase().padStart(4, '0');
  return `${hex()}-${hex()}`;
}

interface Persisted {
  cards: Array<{ uuid: string; label: string }>;
}

/**
 * Starts a simulated FLIR Duo flash drive under `root` (see README.md for the layout and how faults
 * work). Nothing here intercepts reads: unplugging moves the card's directory away from its mount
 * point for real, so a reader fails in the file system; the read gate only tells the simulator where
 * the reader is, for faults that must land at a byte.
 */
export async function startFlashSimulator(options: FlashSimulatorOptions): Promise<FlashSimulator> {
  const root = resolve(options.root);
  const cardsDir = join(root, 'cards');
  const mediaDir = join(root, 'media');
  const devDir = join(root, 'dev');
  const diskDir = join(root, 'disk');
  const mountTable = join(root, 'mountinfo');
  const statePath = join(root, 'cards.json');
  for (const dir of [cardsDir, mediaDir, devDir, join(diskDir, 'by-uuid'), join(diskDir, 'by-label')]) await mkdir(dir, { recursive: true });

  const cards = new Map<string, CardInfo>();
  const persisted = await readFile(statePath, 'utf8')
    .then((text) => JSON.parse(text) as Persisted)
    .catch(() => ({ cards: [] }) as Persisted);
  for (const c of persisted.cards) cards.set(c.uuid, { uuid: c.uuid, label: c.label, files: [] });

  const mountPointOf = (label = defaultLabel): string => join(mediaDir, label);
  const backingDir = (uuid: string): string => join(cardsDir, uuid);
  const save = (): Promise<void> =>
    writeFile(statePath, JSON.stringify({ cards: [...cards.values()].map(({ uuid, label }) => ({ uuid, label })) } satisfies Persisted));

  // A previous run that died with a card in: put it back in its slot.
  for (const name of await readdir(mediaDir)) {
    const owner = [...cards.values()].find((c) => c.label === name);
    if (owner && !(await exists(backingDir(owner.uuid)))) await rename(join(mediaDir, name), backingDir(owner.uuid));
    else await rm(join(mediaDir, name), { recursive: true, force: true });
  }
  for (const sub of ['by-uuid', 'by-label']) for (const name of await readdir(join(diskDir, sub))) await unlink(join(diskDir, sub, name));
  await rm(join(devDir, DEVICE_NODE), { force: true });
  await writeMountTable(mountTable, undefined);

  let insertedUuid: string | undefined;
  let mountId = 400;
  let faults = emptyFaults();
  const hangers: Array<() => void> = [];
  let gateCalls = 0;
  let gateBytes = 0;
  // Inserts and unplugs are several file operations each: run them one at a time.
  let chain: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = chain.then(fn);
    chain = next.catch(() => undefined);
    return next;
  };

  const seed = options.seed ?? 1;
  const defaultLabel = options.label ?? 'FLIR';

  async function createCard(cardOptions: CardOptions = {}): Promise<CardInfo> {
    const cardSeed = cardOptions.seed ?? seed;
    let uuid = cardOptions.uuid;
    for (let n = cards.size; uuid === undefined; n++) {
      const candidate = fatUuid(mixSeed(cardSeed, 'card', n));
      if (!cards.has(candidate)) uuid = candidate;
    }
    const label = cardOptions.label ?? defaultLabel;
    const existing = cards.get(uuid);
    if (existing && (await exists(backingDir(uuid)))) return existing;
    const dir = backingDir(uuid);
    await mkdir(dir, { recursive: true });
    const files = cardOptions.content === false ? [] : await writeFlirCard(dir, cardSeed, mixSeed(cardSeed, uuid), cardOptions.content ?? {});
    const card: CardInfo = { uuid, label, files };
    cards.set(uuid, card);
    await save();
    return card;
  }

  async function unplugNow(): Promise<void> {
    const uuid = insertedUuid;
    if (uuid === undefined) return;
    const card = cards.get(uuid)!;
    insertedUuid = undefined;
    // The order of a real pull: I/O fails at once, udev drops node and links, the mount goes last.
    await rename(mountPointOf(card.label), backingDir(uuid));
    await rm(join(devDir, DEVICE_NODE), { force: true });
    await rm(join(diskDir, 'by-uuid', uuid), { force: true });
    await rm(join(diskDir, 'by-label', card.label), { force: true });
    await writeMountTable(mountTable, undefined);
    for (const release of hangers.splice(0)) release();
  }

  async function insertNow(uuid: string): Promise<{ uuid: string; mountPoint: string }> {
    const card = cards.get(uuid);
    if (!card) throw new Error(`no card ${uuid}`);
    if (insertedUuid !== undefined) await unplugNow();
    const mountPoint = mountPointOf(card.label);
    const node = join(devDir, DEVICE_NODE);
    await writeFile(node, '');
    await symlink(`../../dev/${DEVICE_NODE}`, join(diskDir, 'by-uuid', uuid));
    await symlink(`../../dev/${DEVICE_NODE}`, join(diskDir, 'by-label', card.label));
    await rename(backingDir(uuid), mountPoint);
    mountId += 1;
    await writeMountTable(mountTable, { mountId, mountPoint, device: node });
    insertedUuid = uuid;
    return { uuid, mountPoint };
  }

  const defaultCard = await createCard({
    seed,
    label: defaultLabel,
    uuid: options.uuid ?? fatUuid(seed),
    ...(options.content === undefined ? {} : { content: options.content }),
  });
  if (options.insert ?? true) await insertNow(defaultCard.uuid);

  const sim: FlashSimulator = {
    root,
    mountTable,
    diskDir,
    card: defaultCard,
    mountPointOf,
    cardDir: (uuid) => {
      const card = cards.get(uuid);
      return card && insertedUuid === uuid ? mountPointOf(card.label) : backingDir(uuid);
    },
    createCard: (cardOptions) => serial(() => createCard(cardOptions)),
    insert: (uuid) => serial(() => insertNow(uuid ?? defaultCard.uuid)),
    unplug: () => serial(unplugNow),
    inserted: () => (insertedUuid === undefined ? undefined : cards.get(insertedUuid)),
    setUnplugAfter(path, bytes) {
      faults = { ...faults, unplugAfter: [...faults.unplugAfter, { path, bytes }] };
    },
    setUnreadable(path, o = {}) {
      faults = { ...faults, unreadable: [...faults.unreadable, { path, offset: o.offset ?? 0, errno: o.errno ?? 'EIO' }] };
    },
    setSlow(ms) {
      faults = { ...faults, slowMs: Math.max(0, ms) };
    },
    setHang(path) {
      faults = { ...faults, hang: [...faults.hang, path] };
    },
    clearFaults() {
      faults = emptyFaults();
      for (const release of hangers.splice(0)) release();
    },
    async gate(request) {
      gateCalls += 1;
      gateBytes += request.length;
      if (faults.slowMs > 0) {
        // Released early by clearFaults or a pull, like a hang, so a test can end a slow read at will.
        await new Promise<void>((r) => {
          const timer = setTimeout(r, faults.slowMs);
          hangers.push(() => {
            clearTimeout(timer);
            r();
          });
        });
      }
      if (faults.hang.includes(request.path)) await new Promise<void>((r) => hangers.push(r));
      const reach = request.offset + request.length;
      const cut = faults.unplugAfter.find((f) => f.path === request.path && reach > f.bytes);
      if (cut) {
        faults = { ...faults, unplugAfter: faults.unplugAfter.filter((f) => f !== cut) };
        await serial(unplugNow);
        return { action: 'ok' };
      }
      const bad = faults.unreadable.find((f) => f.path === request.path && reach > f.offset);
      if (bad && insertedUuid !== undefined) return { action: 'fail', errno: bad.errno };
      return { action: 'ok' };
    },
    state: () => {
      const card = insertedUuid === undefined ? undefined : cards.get(insertedUuid);
      return {
        inserted: card ? { uuid: card.uuid, label: card.label, mountPoint: mountPointOf(card.label) } : null,
        cards: [...cards.values()].map(({ uuid, label }) => ({ uuid, label })),
        faults,
        gateCalls,
        gateBytes,
      };
    },
    async close() {
      for (const release of hangers.splice(0)) release();
      await chain;
    },
  };
  return sim;
}

function emptyFaults(): FlashFaults {
  return { unplugAfter: [], unreadable: [], slowMs: 0, hang: [] };
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
