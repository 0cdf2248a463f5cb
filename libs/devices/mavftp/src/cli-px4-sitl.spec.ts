import { readFile, readdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMavftpCommand } from './cli';
import { type Px4Sitl, px4SitlMissing, startPx4Sitl } from './testing';

const missing = px4SitlMissing();
const README = join(resolve(dirname(fileURLToPath(import.meta.url)), '../../../..'), 'README.md');

describe.skipIf(missing !== undefined)(`the README's mavftp example against a real PX4 (PX4 SITL)${missing ? ` — skipped: ${missing}` : ''}`, () => {
  let px4: Px4Sitl;
  beforeAll(async () => {
    px4 = await startPx4Sitl();
  }, 60_000);
  afterAll(async () => {
    await px4?.stop();
  });

  it('`filesync mavftp ls` as the README writes it lists PX4\'s log directory (port moved to this instance)', async () => {
    const line = /npx filesync mavftp (ls [^#\n]*)/.exec(await readFile(README, 'utf8'))?.[1]?.trim();
    expect(line, 'README has a mavftp ls example').toBeDefined();
    const argv = line!.split(/\s+/).map((a) => a.replace('udpin:127.0.0.1:14540', px4.onboard));
    let stdout = '';
    let stderr = '';
    const code = await runMavftpCommand(argv, { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t) });
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const day = (await readdir(px4.logDir))[0]!;
    expect(stdout).toContain(`/log/${day}/`);
  }, 60_000);
});
