import { mkdir, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ManualClock, type SourceEntry, isFilesyncError } from '@filesync/core';
import { type FtpSource, type FtpSourceOptions, createFtpSource } from './ftp-source';
import { SETTLE_MS } from './listing-times';
import { type ControlProxy, type ProxyRules, startControlProxy } from './test-support/control-proxy';
import { type ExternalServer, pyftpdlibMissing, startPyftpdlib } from './test-support/pyftpdlib-process';
import { type SimulatorProcess, startSimulatorProcess } from './test-support/simulator-process';
import { giveToFtpUser, startVsftpd, vsftpdMissing } from './test-support/vsftpd-process';

// The phantomVersion finding of the chaos suite (tools/chaos/README.md, Findings 3): a file's
// identity is path + size + mtime, so its listed mtime must not depend on the connection or the
// listing command that answered. Faults the servers have no switch for go through a control proxy.

const FILES = 12;
/** An mtime with milliseconds, an hour ago (LIST then shows "Mon DD HH:MM"); .500 s so utimes' float seconds carry it exactly. */
const MTIME_MS = Math.floor((Date.now() - 3600_000) / 1000) * 1000 + 500;

interface Served {
  readonly url: string;
  readonly root: string;
  readonly user: string;
  readonly password: string;
  /** The server's own precision of an mtime: ftp-srv's MDTM has milliseconds, vsftpd and pyftpdlib seconds. */
  readonly exact: (mtimeMs: number) => number;
  readonly prepare: (dir: string) => Promise<void>;
}

const proxies: ControlProxy[] = [];
const sources: FtpSource[] = [];
afterEach(async () => {
  for (const s of sources.splice(0)) await s.close();
  for (const p of proxies.splice(0)) await p.close();
});

let dirs = 0;
/** A directory of FILES files with `MTIME_MS` (file i one second later per i), behind a proxy. */
async function scene(served: Served, rules: ProxyRules, extra: Partial<FtpSourceOptions> = {}) {
  const dir = `l${++dirs}`;
  const base = join(served.root, dir);
  await mkdir(base, { recursive: true });
  for (let i = 0; i < FILES; i++) {
    const file = join(base, `IMG_${String(i).padStart(4, '0')}.jpg`);
    await writeFile(file, `image ${i}`);
    await utimes(file, (MTIME_MS + i * 1000) / 1000, (MTIME_MS + i * 1000) / 1000);
  }
  await served.prepare(base);
  const proxy = await startControlProxy(`${served.url}/${dir}`, rules);
  proxies.push(proxy);
  const source = createFtpSource({ id: 'cam', url: proxy.url, user: served.user, password: served.password, keepAliveMs: 0, ...extra });
  sources.push(source);
  const exact = async (): Promise<Record<string, number>> => {
    const out: Record<string, number> = {};
    for (let i = 0; i < FILES; i++) {
      const name = `IMG_${String(i).padStart(4, '0')}.jpg`;
      out[name] = served.exact((await stat(join(base, name))).mtimeMs);
    }
    return out;
  };
  return { base, proxy, source, exact };
}

async function listing(source: FtpSource): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for await (const e of source.list() as AsyncIterable<SourceEntry>) out[e.path] = e.mtimeMs;
  return out;
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => ({ resolvedWith: value }),
    (err: unknown) => err,
  );
}

const isMdtm = (line: string): boolean => /^MDTM /i.test(line);

/** Cuts connection 1 just before its 5th MDTM: the camera restarting half-way through a listing. */
function cutMidMdtm(): ProxyRules {
  let mdtms = 0;
  return { command: (line, connection) => (connection === 1 && isMdtm(line) && ++mdtms === 5 ? { cut: true } : { pass: true }) };
}

function describeListMdtmServer(name: string, start: () => Promise<Served>, missing: string | undefined): void {
  describe(`ftp source listing times on ${name}`, () => {
    if (missing) {
      it.skip(`skipped: ${missing}`, () => undefined);
      return;
    }
    let served: Promise<Served> | undefined;
    afterAll(async () => {
      const s = (await served) as (Served & { stop?: () => Promise<void> }) | undefined;
      await s?.stop?.();
    });
    const server = (): Promise<Served> => (served ??= start());

    it('a connection lost among the MDTMs of a listing fails that listing; no listing gives a LIST date instead', async () => {
      const { proxy, source, exact } = await scene(await server(), cutMidMdtm());
      const first = await failure(listing(source));
      // Before the fix this listing resolved, the files after the cut dated to the whole minute.
      expect(isFilesyncError(first) && first.kind === 'transient', `first listing: ${JSON.stringify(first)}`).toBe(true);
      expect(await listing(source)).toEqual(await exact());
      expect(proxy.connections).toBe(2);
    });

    it('asks MDTM once per new file once it has settled; a changed file is still a new version', async () => {
      const clock = new ManualClock(Date.now());
      const { base, proxy, source, exact } = await scene(await server(), {}, { clock });
      const mdtms = (): number => proxy.commands.filter(isMdtm).length;
      expect(await listing(source)).toEqual(await exact());
      expect(mdtms()).toBe(FILES);
      // Within its minute a same-size file may still be rewritten: MDTM is asked again and sees it.
      await utimes(join(base, 'IMG_0003.jpg'), (MTIME_MS + 3000 + 7000) / 1000, (MTIME_MS + 3000 + 7000) / 1000);
      const second = await listing(source);
      expect(mdtms()).toBe(2 * FILES);
      expect(second).toEqual(await exact());
      clock.advance(SETTLE_MS);
      expect(await listing(source)).toEqual(await exact());
      expect(mdtms()).toBe(3 * FILES);
      // Settled: the same LIST lines cost no round trip, and the times given stay the same.
      expect(await listing(source)).toEqual(second);
      expect(mdtms()).toBe(3 * FILES);
      // Another minute, or another size: a new LIST line, so MDTM again, for those files only.
      await utimes(join(base, 'IMG_0005.jpg'), (MTIME_MS - 600_000) / 1000, (MTIME_MS - 600_000) / 1000);
      await writeFile(join(base, 'IMG_0007.jpg'), 'a longer image 7');
      await utimes(join(base, 'IMG_0007.jpg'), (MTIME_MS + 7000) / 1000, (MTIME_MS + 7000) / 1000);
      await server().then((s) => s.prepare(base));
      const changed = await listing(source);
      expect(mdtms()).toBe(3 * FILES + 2);
      expect(changed).toEqual(await exact());
      expect(changed['IMG_0005.jpg']).not.toBe(second['IMG_0005.jpg']);
    });
  });
}

describeListMdtmServer(
  'the simulator (ftp-srv: LIST + MDTM in milliseconds)',
  async () => {
    const sim: SimulatorProcess = await startSimulatorProcess();
    return { ...sim, exact: (ms) => Math.round(ms), prepare: async () => undefined };
  },
  undefined,
);

describeListMdtmServer(
  'vsftpd (LIST + MDTM in seconds)',
  async () => {
    const s: ExternalServer = await startVsftpd();
    return { ...s, exact: (ms) => Math.floor(ms / 1000) * 1000, prepare: giveToFtpUser };
  },
  vsftpdMissing(),
);

const pyMissing = await pyftpdlibMissing();
describe('ftp source listing times on pyftpdlib (MLSD in seconds)', () => {
  if (pyMissing) {
    it.skip(`skipped: ${pyMissing}`, () => undefined);
    return;
  }
  let served: Promise<ExternalServer> | undefined;
  afterAll(async () => (await served)?.stop());
  const server = async (): Promise<Served> => ({
    ...(await (served ??= startPyftpdlib())),
    exact: (ms) => Math.floor(ms / 1000) * 1000,
    prepare: async () => undefined,
  });

  // mdtm: false makes the LIST fallback show (pyftpdlib's MDTM would hide it: its seconds equal MLSD's).
  it('a 425 to MLSD on a new connection fails that listing instead of listing with LIST', async () => {
    let refused = 0;
    const rules: ProxyRules = {
      command: (line, connection) => {
        if (connection !== 2 || !/^MLSD\b/i.test(line) || refused > 0) return { pass: true };
        refused++;
        return { reply: "425 Can't open data connection." };
      },
    };
    const { proxy, source, exact } = await scene(await server(), rules, { mdtm: false });
    expect(await listing(source)).toEqual(await exact());
    proxy.cutAll();
    // The cut connection may fail one listing of its own before the new one meets the 425.
    const failures: unknown[] = [];
    let after: Record<string, number> | undefined;
    for (let attempt = 0; attempt < 4 && after === undefined; attempt++) {
      const result = await failure(listing(source));
      if (isFilesyncError(result)) failures.push(result);
      else after = (result as { resolvedWith: Record<string, number> }).resolvedWith;
    }
    expect(failures.some((f) => isFilesyncError(f) && f.kind === 'transient' && f.detail?.['ftpCode'] === 425), JSON.stringify(failures)).toBe(true);
    expect(after).toEqual(await exact());
    expect(refused).toBe(1);
    expect(proxy.commands.filter((c) => /^LIST/i.test(c))).toEqual([]);
  });

  it('a later connection whose FEAT leaves out MLST still lists with MLSD', async () => {
    const rules: ProxyRules = { hideFeature: (line, connection) => connection > 1 && /^\s*MLST\b/i.test(line) };
    const { proxy, source, exact } = await scene(await server(), rules, { mdtm: false });
    expect(await listing(source)).toEqual(await exact());
    proxy.cutAll();
    expect(await failure(listing(source))).toBeDefined(); // the cut connection may fail one listing
    expect(await listing(source)).toEqual(await exact());
    expect(proxy.connections).toBeGreaterThan(1);
    expect(proxy.commands.filter((c) => /^LIST/i.test(c))).toEqual([]);
  });
});
