/**
 * `npx hardhat run scripts/explorer-screenshots.ts`: plays the demo's story on a local chain
 * (scripts/lib/explorer-story.ts), runs the explorer over it and saves screenshots of the network page and of the
 * lie's request page to docs/explorer-network.png and docs/explorer-request.png (shown in the README), using
 * Debian's chromium (VERDICT_CHROMIUM to use another binary).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { chromium } from "playwright-core";
import { REPO_ROOT } from "../explorer/config.js";
import { localExplorerConfig } from "./lib/explorer-local.js";
import { openExplorer } from "../explorer/explorer.js";
import { tellStory } from "./lib/explorer-story.js";

const story = await tellStory();
const dir = mkdtempSync(path.join(tmpdir(), "verdict-shots-"));
try {
  const { config, provider } = await localExplorerConfig(story.devnet, path.join(dir, "explorer.db"));
  const explorer = openExplorer(config, provider);
  await explorer.catchUp();
  const base = await explorer.serve();
  const browser = await chromium.launch({
    executablePath: process.env.VERDICT_CHROMIUM ?? "/usr/bin/chromium",
    args: ["--no-sandbox"],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    for (const [p, file] of [
      ["/", "explorer-network.png"],
      [`/request/${story.lie.requestId}`, "explorer-request.png"],
    ] as const) {
      await page.goto(base + p);
      await page.screenshot({ path: path.join(REPO_ROOT, "docs", file), fullPage: true });
      console.log(`wrote docs/${file}`);
    }
  } finally {
    await browser.close();
    await explorer.stop();
    provider.destroy();
  }
} finally {
  await story.devnet.stop();
  rmSync(dir, { recursive: true, force: true });
}
