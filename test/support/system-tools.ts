import { spawnSync } from 'node:child_process';

/** Debian packages the real-client tests use, by the binary each provides. */
export const SYSTEM_PACKAGES: Record<string, string> = {
  skopeo: 'skopeo',
  'docker-registry': 'docker-registry',
  htpasswd: 'apache2-utils',
  'docker-credential-ecr-login': 'amazon-ecr-credential-helper',
  shellcheck: 'shellcheck',
  // Test certificate authorities for the private-network tests (test/support/test-pki.ts).
  openssl: 'openssl',
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
