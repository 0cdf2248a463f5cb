import { rm } from 'node:fs/promises';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { agentsForTests, makeAgentWorld } from '../test/agent-process';

describe('status page in a real browser (Debian chromium)', () => {
  const agents = agentsForTests();

  it('shows the files, the devices and the worker tree, updated live', async () => {
    const { dir, configFile } = await makeAgentWorld({ 'a.bin': 'a', 'b/c.bin': 'bc' });
    agents.cleanup(() => rm(dir, { recursive: true, force: true }));
    const agent = agents.start(configFile);
    const url = await agent.ready;
    const browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    agents.cleanup(() => browser.close());
    const page = await browser.newPage();
    await page.goto(url);
    // The page polls the API every second, and the agent polls its workers' health every second: wait
    // for the files to be delivered and the devices to be reported. A string, because it runs in the
    // page, where `document` exists (this project's TypeScript has no DOM types).
    await page.waitForFunction(
      "((t) => /delivered\\s*2/.test(t) && /Targets\\s+outbox\\s+up\\b/.test(t) && /target:outbox\\s+running/.test(t))(document.body.innerText)",
      undefined,
      { timeout: 30_000 },
    );
    const text = await page.innerText('body');
    expect(text).toMatch(/Sources\s+inbox\s+up\b/);
    expect(text).toMatch(/Targets\s+outbox\s+up\b/);
    expect(text).toMatch(/Workers[\s\S]*source:inbox\s+running/);
    expect(text).toMatch(/target:outbox\s+running/);
    // Each group's workers, under their rest_for_one supervisor.
    for (const worker of ['source:inbox/link', 'source:inbox/finder', 'source:inbox/downloader', 'source:inbox/cleaner', 'target:outbox/link', 'target:outbox/uploader']) {
      expect(text).toMatch(new RegExp(`${worker}\\s+running`));
    }
    expect(text).toMatch(/source:inbox\s+running[^\n]*rest_for_one/);
  }, 90_000);
});
