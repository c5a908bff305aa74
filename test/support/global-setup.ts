import { execFileSync } from 'node:child_process';

/** The e2e tests run the built CLI; build it once so they never test a stale bundle. */
export default function setup(): void {
  execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
}
