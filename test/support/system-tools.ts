import { spawnSync } from 'node:child_process';
import { describe, it } from 'vitest';

/** Debian packages the real-client tests use, by the binary each provides. */
export const SYSTEM_PACKAGES: Record<string, string> = {
  skopeo: 'skopeo',
  'docker-registry': 'docker-registry',
  htpasswd: 'apache2-utils',
  'docker-credential-ecr-login': 'amazon-ecr-credential-helper',
  shellcheck: 'shellcheck',
  jq: 'jq',
  docker: 'docker.io',
  // Test certificate authorities for the private-network tests (test/support/test-pki.ts).
  openssl: 'openssl',
};

/** Binaries no Debian package provides here: installed by hand (docs/tests.md). */
const OTHER_INSTALLS: Record<string, string> = {
  'cfn-lint': 'pip install cfn-lint',
  aws: 'pip install awscli',
};

export function hasBinary(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}

/**
 * Installs missing packages with apt-get when running as root (as the test machines do); returns why
 * not otherwise, so tests can skip with a printed reason instead of failing on a bare machine.
 */
export function ensureSystemPackages(binaries: string[]): string | undefined {
  const missing = binaries.filter((binary) => !hasBinary(binary));
  if (missing.length === 0) return undefined;
  if (process.getuid?.() !== 0) return `missing ${missing.join(', ')} and not root, so apt-get cannot install them`;
  if (!hasBinary('apt-get')) return `missing ${missing.join(', ')} and no apt-get on this machine`;
  const packages = [...new Set(missing.map((binary) => SYSTEM_PACKAGES[binary] ?? binary))];
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  let install = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', ...packages], { env, encoding: 'utf8' });
  if (install.status !== 0) {
    spawnSync('apt-get', ['update'], { env, stdio: 'ignore' });
    install = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', ...packages], { env, encoding: 'utf8' });
  }
  const still = missing.filter((binary) => !hasBinary(binary));
  return still.length === 0 ? undefined : `apt-get could not install ${packages.join(', ')}: ${(install.stderr ?? '').trim().split('\n').slice(-1)[0]}`;
}

/** Under CI (CI=true) a real-client test whose binary is missing fails the run instead of skipping. */
export function realClientsRequired(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.CI === 'true';
}

/** Why these binaries cannot be used here, with how to install them; undefined when all are present. */
export function missingBinaries(binaries: string[]): string | undefined {
  const missing = binaries.filter((binary) => !hasBinary(binary));
  if (missing.length === 0) return undefined;
  const how = missing.map((binary) => (SYSTEM_PACKAGES[binary] ? `apt-get install ${SYSTEM_PACKAGES[binary]}` : (OTHER_INSTALLS[binary] ?? `install ${binary}`)));
  return `missing ${missing.join(', ')} (${how.join('; ')})`;
}

function refusal(name: string, missing: string): () => never {
  return () => {
    throw new Error(`${name}: ${missing}; with CI=true a real-client test may not be skipped`);
  };
}

/**
 * describe() for tests that drive real binaries: skipped with the reason printed when one is missing,
 * except under CI=true, where the missing binary is one failing test, so a green CI never hides
 * real-client tests that did not run.
 */
export function describeWithBinaries(name: string, binaries: string[], body: () => void): void {
  const missing = missingBinaries(binaries);
  if (!missing) return void describe(name, body);
  if (realClientsRequired()) return void describe(name, () => it(`has ${binaries.join(', ')}`, refusal(name, missing)));
  console.warn(`skipped "${name}": ${missing}`);
  describe.skip(name, body);
}

/** it() with the same rule as describeWithBinaries. */
export function itWithBinaries(name: string, binaries: string[], body: () => unknown, timeout?: number): void {
  const missing = missingBinaries(binaries);
  if (!missing) return void it(name, body, timeout);
  if (realClientsRequired()) return void it(name, refusal(name, missing));
  console.warn(`skipped "${name}": ${missing}`);
  it.skip(name, body);
}
