/**
 * Headless Chromium for the browser tests: Debian's package (infra/tools/install-chromium.sh),
 * driven by playwright-core through its executable path (playwright downloads no browser).
 * Missing Chromium is an error that says how to install it: the tests fail, they do not skip.
 */
import { execFileSync } from 'node:child_process';
import { chromium, type Browser } from 'playwright-core';

/** The Chromium binary: CHROMIUM_PATH, else `chromium` on the PATH. @throws Error when there is none. */
export function chromiumPath(): string {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  try {
    return execFileSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error('Chromium is not installed: run infra/tools/install-chromium.sh (Debian\'s chromium package), or set CHROMIUM_PATH');
  }
}

export function launchChromium(): Promise<Browser> {
  // --no-sandbox: CI machines run the tests as root, where Chromium's sandbox refuses to start.
  return chromium.launch({ executablePath: chromiumPath(), args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}
