import { execFileSync } from 'node:child_process';
import { ensureSystemPackages, realClientsRequired, SYSTEM_PACKAGES } from './system-tools.js';

/**
 * Once before all tests: build the CLI the e2e tests run (never a stale bundle), and install the Debian
 * packages of the real-client tests, serially (apt cannot run twice at once). Tests that still lack a
 * binary skip with the reason, or fail under CI=true.
 */
export default function setup(): void {
  execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const problem = ensureSystemPackages(Object.keys(SYSTEM_PACKAGES));
  if (problem) console.warn(`global setup: ${problem}; the tests that need them ${realClientsRequired() ? 'FAIL (CI=true)' : 'will be skipped'}`);
}
