// Starts Debian's Chromium for browser tests, and keeps what a page
// complains about (console errors, uncaught exceptions, CSP violations) so a
// test can assert the page stayed clean.
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { repoRoot } from './server.mjs';

// The system's Chromium, headless; no network traffic of its own, so that
// only what the page does shows up.
export function launchBrowser() {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless=new',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-proxy-server',
    ],
  });
}

// Where screenshots go (RUCHE_SCREENSHOTS, or build/screenshots), created
// if missing.
export function screenshotDir() {
  const dir = process.env.RUCHE_SCREENSHOTS || path.join(repoRoot, 'build', 'screenshots');
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

// Records a page's problems into the returned array, as strings:
// "console: ...", "pageerror: ...", "csp: ...".  Call before page.goto().
// CSP violations also reach the console, but the securitypolicyviolation
// event names the directive and cannot be missed by a change of wording.
export async function watchProblems(page) {
  const problems = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') {
      const where = msg.location();
      problems.push(`console: ${msg.text()}${where.url ? ` (${where.url})` : ''}`);
    }
  });
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  await page.exposeFunction('__rucheReportCsp', (text) => problems.push(`csp: ${text}`));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__rucheReportCsp(
        `${e.violatedDirective} blocked ${e.blockedURI || 'inline'} ` +
          `at ${e.sourceFile || '?'}:${e.lineNumber}`,
      );
    });
  });
  return problems;
}
