import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface IssuedCertificate {
  key: string;
  cert: string;
}

export interface TestCa {
  /** The CA certificate (PEM), what a user would put in gitlab.caCertificatesFile. */
  caPem: string;
  /** A server certificate signed by this CA for the given names; `expired` makes it end a day before it starts. */
  issue(options: { commonName: string; dns?: string[]; ip?: string[]; expired?: boolean }): IssuedCertificate;
  /** Removes the keys from disk. */
  dispose(): void;
}

/**
 * A certificate authority made with openssl for one test run, in a temporary folder: no private key
 * is ever committed, and each run has its own CA that nothing else trusts.
 */
export function createTestCa(subject = 'ecr-gitlab-refresher test CA'): TestCa {
  const dir = mkdtempSync(join(tmpdir(), 'test-ca-'));
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  const curve = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  openssl('req', '-x509', ...curve, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', `/CN=${subject}`);
  let serial = 0;
  return {
    caPem: readFileSync(join(dir, 'ca.pem'), 'utf8'),
    issue({ commonName, dns = [], ip = [], expired = false }) {
      const name = `server-${++serial}`;
      openssl('req', ...curve, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${commonName}`);
      const altNames = [...dns.map((entry) => `DNS:${entry}`), ...ip.map((entry) => `IP:${entry}`)].join(',');
      writeFileSync(join(dir, `${name}.ext`), `subjectAltName=${altNames}\nextendedKeyUsage=serverAuth\n`);
      // A negative lifetime makes notAfter fall before notBefore: verification reports CERT_HAS_EXPIRED.
      const days = expired ? '-1' : '1';
      openssl(
        'x509',
        '-req',
        '-in',
        `${name}.csr`,
        '-CA',
        'ca.pem',
        '-CAkey',
        'ca.key',
        '-set_serial',
        String(1000 + serial),
        '-days',
        days,
        '-extfile',
        `${name}.ext`,
        '-out',
        `${name}.pem`,
      );
      return { key: readFileSync(join(dir, `${name}.key`), 'utf8'), cert: readFileSync(join(dir, `${name}.pem`), 'utf8') };
    },
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}
