import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Browser, type Page, chromium } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '@filesync/core';
import { ULOG_MAGIC, worldsForTests } from '../../test/e2e/harness';

/** Screenshots of each run, for a person to look at (tmp/ is not committed). */
const SHOTS = join(REPO_ROOT, 'tmp', 'screenshots', 'status-page');

/**
 * The status page in Debian's chromium against the built agent and its simulators. Conditions are
 * strings evaluated in the page (this project's TypeScript has no DOM types); each wait is bounded.
 */
describe('status page in a real browser (Debian chromium)', () => {
  const worlds = worldsForTests();
  let browser: Browser | undefined;
  afterEach(async () => {
    await browser?.close();
    browser = undefined;
  });

  async function openPage(url: string, width = 1100): Promise<Page> {
    browser ??= await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    const page = await browser.newPage({ viewport: { width, height: 900 } });
    await page.goto(url);
    return page;
  }

  async function shot(page: Page, name: string): Promise<void> {
    await mkdir(SHOTS, { recursive: true });
    await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  }

  /** Waits for `condition` (JS over `d`, the document) to hold in the page; fails with the page's text. */
  async function until(page: Page, condition: string, what: string, timeoutMs = 60_000): Promise<void> {
    try {
      await page.waitForFunction(`((d) => ${condition})(document)`, undefined, { timeout: timeoutMs, polling: 250 });
    } catch (err) {
      throw new Error(`${what}: ${(err as Error).message}\npage text:\n${(await page.innerText('body')).slice(0, 3000)}`, { cause: err });
    }
  }

  const device = (id: string): string => `d.querySelector('[data-device="${id}"]')`;

  it('shows a flash drive going down when pulled and coming back when re-inserted, with no stale entry', async () => {
    const world = await worlds.create();
    const flash = await world.sim('flash', 'flash', ['--port', '0', '--sessions', '1', '--images', '2', '--videos', '0', '--jpeg-kib', '20-40']);
    const uuid = String(flash.ready['uuid']);
    const control = String(flash.ready['control']);
    const url = await world.startAgent({
      ...world.baseConfig(),
      sources: [{ id: 'flir', type: 'disk', match: { uuid }, mountTable: String(flash.ready['mountTable']), diskDir: String(flash.ready['diskDir']), pollIntervalSec: 1 }],
      targets: [{ id: 'nas', type: 'local', dir: join(world.dir, 'nas') }],
      routes: [{ source: 'flir', targets: ['nas'] }],
    });
    const page = await openPage(url);
    const volume = `flir:${uuid}`;
    await until(page, `${device(volume)}?.classList.contains('up') && !${device('flir')}`, 'the inserted card up');
    await shot(page, '1-card-up');

    expect((await fetch(`${control}/unplug`, { method: 'POST' })).status).toBe(200);
    await until(page, `${device('flir')}?.classList.contains('down') && !${device(volume)}`, 'the pulled card down, its volume gone');
    expect(await page.innerText('[data-device="flir"]')).toMatch(/no volume present/);
    await shot(page, '2-card-pulled');

    expect((await fetch(`${control}/insert`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ uuid }) })).status).toBe(200);
    await until(page, `${device(volume)}?.classList.contains('up') && !${device('flir')}`, 'the re-inserted card up, the "down" entry gone');
    const devices = await page.$$eval('[data-device]', (els) => els.map((e) => e.getAttribute('data-device')));
    expect(devices).toEqual([volume, 'nas']);
    await shot(page, '3-card-back');
    // The worker tree waits behind its toggle.
    expect(await page.isVisible('#tree')).toBe(false);
    await page.click('details summary');
    await until(page, `/source:flir[\\s\\S]*downloader running/.test(d.querySelector('#tree')?.innerText ?? '')`, 'the worker tree shown');
    await shot(page, '3b-worker-tree');
  }, 150_000);

  it('shows a PX4 log downloading with a progress bar, rate and ETA, then delivered with its Flight Review link', async () => {
    const world = await worlds.create();
    // 921600 baud ≈ 92 kB/s: a 1.2 MB log takes about 13 s, long enough to be seen moving.
    const [px4, review] = await Promise.all([
      world.sim('px4', 'px4', ['--port', '0', '--no-pty', '--logs', '1', '--min-bytes', '1200000', '--max-bytes', '1200000', '--baud', '921600']),
      world.sim('flight-review', 'review', ['--port', '0']),
    ]);
    const url = await world.startAgent({
      ...world.baseConfig(),
      sources: [{ id: 'px4', type: 'mavftp', link: `udpout:${String(px4.ready['udp'])}`, logDir: '/fs/microsd/log', pollIntervalSec: 1, settleSec: 0.5 }],
      targets: [{ id: 'flight-review', type: 'http', mode: 'flight-review', url: String(review.ready['http']), fields: { description: 'filesync page test' } }],
      routes: [{ source: 'px4', targets: ['flight-review'], filter: { include: ['**/*.ulg'] } }],
    });
    const page = await openPage(url);
    // Moving: a bar past 0 % and a rate (the ETA needs two samples, so it follows the rate).
    await until(
      page,
      `[...d.querySelectorAll('#transfers li')].some((li) => +li.querySelector('progress')?.value > 0 && /\\d+(\\.\\d+)? [KM]?B\\/s · ETA \\d/.test(li.textContent))`,
      'the log downloading with a rate and an ETA',
      90_000,
    );
    expect(await page.innerText('#transfers')).toMatch(/\.ulg/);
    await shot(page, '4-downloading');
    await until(page, `!!d.querySelector('#deliveries a[href*="/plot_app?log="]')`, 'the log delivered with its Flight Review link', 120_000);
    const link = await page.getAttribute('#deliveries a[href*="/plot_app?log="]', 'href');
    expect(link).toMatch(new RegExp(`^${String(review.ready['http'])}/plot_app\\?log=[0-9a-f-]{36}$`));
    // The link leads to the log on the site.
    expect((await fetch(link ?? '')).status).toBe(200);
    await shot(page, '5-delivered');
    // Readable on a phone: the same page 390 px wide, nothing wider than the screen.
    const phone = await openPage(url, 390);
    await until(phone, `!!d.querySelector('#deliveries a')`, 'the phone page with the delivery');
    expect(await phone.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    await shot(phone, '6-phone');
  }, 240_000);

  it('shows a file Flight Review refused, with its reason; Retry on the page sends it again and it is delivered', async () => {
    const world = await worlds.create();
    const review = await world.sim('flight-review', 'review', ['--port', '0', '--fault', JSON.stringify({ type: 'status', status: 400, times: 1 })]);
    const inbox = join(world.dir, 'inbox');
    await mkdir(join(inbox, 'logs'), { recursive: true });
    await writeFile(join(inbox, 'logs', 'refused-once.ulg'), Buffer.concat([ULOG_MAGIC, Buffer.alloc(50_000, 7)]));
    const url = await world.startAgent({
      ...world.baseConfig(),
      sources: [{ id: 'inbox', type: 'local', dir: inbox, pollIntervalSec: 0.5, settleSec: 0.2 }],
      targets: [{ id: 'flight-review', type: 'http', mode: 'flight-review', url: String(review.ready['http']), fields: { description: 'filesync page test' } }],
      routes: [{ source: 'inbox', targets: ['flight-review'] }],
    });
    const page = await openPage(url);
    await until(page, `/refused-once\\.ulg/.test(d.querySelector('#failures')?.textContent ?? '') && !!d.querySelector('#failures button[data-action="retry"]')`, 'the refused file listed under failures');
    const failure = await page.innerText('#failures');
    expect(failure).toMatch(/flight-review: .*400/);
    expect(failure).toMatch(/\(1 attempt\)/);
    await shot(page, '7-failed');
    await page.click('#failures button[data-action="retry"]');
    await until(page, `!!d.querySelector('#deliveries a[href*="/plot_app?log="]') && /No failures/.test(d.querySelector('#failures')?.textContent ?? '')`, 'the retried file delivered', 60_000);
    expect(await page.innerText('#deliveries')).toMatch(/logs\/refused-once\.ulg/);
    await shot(page, '8-retried-delivered');
  }, 150_000);
});
