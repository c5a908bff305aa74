import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { ConfigError } from '../errors.js';
import type { Config } from './schema.js';

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;

/** One certificate of an extra CA bundle, as doctor shows it. */
export interface CaCertificateSummary {
  subject: string;
  /** ISO date. */
  expiresAt: string;
  expired: boolean;
}

/**
 * The certificates of a PEM bundle, each checked to be X.509, or the reason the text is not a CA
 * bundle. A private key is refused: the bundle ends up in the package or a secret many can read.
 */
export function parseCaCertificates(text: string): { certificates: string[] } | { problem: string } {
  const blocks = [...text.matchAll(PEM_BLOCK)];
  if (blocks.some((block) => block[1]?.includes('PRIVATE KEY'))) {
    return { problem: 'holds a private key: give only the CA certificates (-----BEGIN CERTIFICATE----- blocks), and keep the key away from it' };
  }
  const certificates = blocks.filter((block) => block[1] === 'CERTIFICATE').map((block) => block[0]);
  if (certificates.length === 0) return { problem: 'holds no PEM certificate (expected -----BEGIN CERTIFICATE----- blocks)' };
  for (const [index, pem] of certificates.entries()) {
    try {
      new X509Certificate(pem);
    } catch (error) {
      return { problem: `certificate ${index + 1} is not a valid X.509 certificate (${error instanceof Error ? error.message : String(error)})` };
    }
  }
  return { certificates };
}

/** Subject and expiry of each certificate, for doctor. */
export function summarizeCaCertificates(certificates: readonly string[], now: number): CaCertificateSummary[] {
  return certificates.map((pem) => {
    const certificate = new X509Certificate(pem);
    const validTo = Date.parse(certificate.validTo);
    return { subject: certificate.subject.replaceAll('\n', ', '), expiresAt: new Date(validTo).toISOString().slice(0, 10), expired: validTo <= now };
  });
}

/**
 * Reads `gitlab.caCertificatesFile` relative to the config file's folder and keeps its checked PEM in
 * the config (`caCertificatesPem`), so that packaging bundles it with the config. ConfigError with the
 * field path when the file is missing or is not a CA bundle.
 */
export function withCaCertificatesFile<T extends Config>(config: T, configDir: string): T {
  const file = config.gitlab?.caCertificatesFile;
  if (file === undefined || config.gitlab === undefined) return config;
  const path = isAbsolute(file) ? file : resolve(configDir, file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new ConfigError([`gitlab.caCertificatesFile: cannot read ${path} (${code}); the path is relative to the config file`]);
  }
  const parsed = parseCaCertificates(text);
  if ('problem' in parsed) throw new ConfigError([`gitlab.caCertificatesFile: ${file} ${parsed.problem}`]);
  return { ...config, gitlab: { ...config.gitlab, caCertificatesPem: parsed.certificates.join('\n') } };
}
