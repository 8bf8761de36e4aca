import { execFileSync } from 'node:child_process';
import { type Browser, chromium } from 'playwright-core';

/** Browsers tried in order when CHROMIUM_PATH is not set: Debian's package, then the usual other names. */
const CANDIDATES = ['chromium', 'chromium-browser', 'google-chrome-stable', 'google-chrome'];

/**
 * The path of a locally installed Chromium: CHROMIUM_PATH, or the first of CANDIDATES on the PATH. The browser
 * tests drive the system's browser; nothing is downloaded. Throws saying how to install one.
 */
export function chromiumPath(): string {
  const configured = process.env.CHROMIUM_PATH;
  if (configured) return configured;
  for (const name of CANDIDATES) {
    try {
      return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim();
    } catch {
      // not on the PATH; try the next name
    }
  }
  throw new Error(
    'the browser tests need Chromium: install it (Debian/Ubuntu: sudo apt-get install chromium; macOS: brew install --cask chromium) or set CHROMIUM_PATH to a Chrome or Chromium binary',
  );
}

/** Headless Chromium through playwright-core, with flags that let it run as root and in containers. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
  });
}
