import { execFileSync, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { freePort } from './moto.js';

export interface HtpasswdRegistry {
  /** `127.0.0.1:PORT`, plain HTTP. */
  address: string;
  stop(): void;
}

/**
 * Debian's docker-registry on a free loopback port, with htpasswd auth for user AWS and `password`
 * (a Basic challenge, as ECR gives) and its storage under `work`; resolves once /v2/ answers 401.
 */
export async function startHtpasswdRegistry(work: string, password: string): Promise<HtpasswdRegistry> {
  const address = `127.0.0.1:${await freePort()}`;
  writeFileSync(join(work, 'htpasswd'), execFileSync('htpasswd', ['-Bbn', 'AWS', password]));
  writeFileSync(
    join(work, 'registry.yml'),
    stringify({
      version: 0.1,
      log: { level: 'error' },
      storage: { filesystem: { rootdirectory: join(work, 'data') } },
      http: { addr: address },
      auth: { htpasswd: { realm: 'test', path: join(work, 'htpasswd') } },
    }),
  );
  const registry = spawn('docker-registry', ['serve', join(work, 'registry.yml')], { stdio: 'ignore' });
  for (let i = 0; i < 100; i++) {
    const status = await fetch(`http://${address}/v2/`)
      .then((r) => r.status)
      .catch(() => 0);
    if (status === 401) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { address, stop: () => registry.kill() };
}
