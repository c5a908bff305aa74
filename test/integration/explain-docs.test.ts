import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitLabJobVariables } from '../../src/adapters/gitlab/job-variables.js';
import { AdaptivePacer } from '../../src/adapters/gitlab/pacer.js';
import { createGitLabTransport } from '../../src/adapters/gitlab/transport.js';
import { formatExplain } from '../../src/cli/output.js';
import { encodeAuth } from '../../src/core/formats/docker-auth.js';
import { type ExplainRequest, explainPull } from '../../src/core/inspect/explain/explain.js';
import { ECR_HOST, toolValue } from '../support/explain-fakes.js';
import { GitLabEmulator } from '../support/gitlab-emulator.js';

/**
 * The examples in docs/troubleshooting.md are this test's worlds, run through the real adapter and
 * core against the emulator and printed by the CLI's formatter: the test fails when the page drifts.
 * `UPDATE_DOCS=1 npx vitest run test/integration/explain-docs.test.ts` rewrites them.
 */
const DOC = new URL('../../docs/troubleshooting.md', import.meta.url);
const TOKEN = 'glpat-docsAdmin00000000000000';
const NOW = Date.parse('2026-06-01T12:00:00Z');
const FRESH = '2026-06-01T20:00:00.000Z';
const IMAGE = `${ECR_HOST}/platform/app:1.4.2`;
const HUB = { 'https://index.docker.io/v1/': { auth: encodeAuth('ci-bot', 'docker-hub-token') } };

let gitlab: GitLabEmulator;
let ids: Record<string, number>;

beforeAll(async () => {
  gitlab = new GitLabEmulator();
  await gitlab.start();
  const admin = gitlab.addUser('admin', { admin: true });
  gitlab.addToken(TOKEN, admin);
  ids = { platform: gitlab.addGroup('platform'), backend: gitlab.addGroup('platform/backend') };
  ids.worker = gitlab.addProject('platform/backend/worker');
  ids.api = gitlab.addProject('platform/backend/api');
  gitlab.protectRefs(ids.api, { branches: ['main', 'release/*'] });
  gitlab.addRefs(ids.api, { branches: ['feature/login'] });
});

afterAll(async () => {
  await gitlab?.stop();
});

const dac = (value: string, extra: Record<string, unknown> = {}) => ({ key: 'DOCKER_AUTH_CONFIG', value, raw: true, masked: true, ...extra });

/** Each example: a world, the explain call, and the exit code it must give. */
const EXAMPLES: Record<string, { seed: () => void; request: Omit<ExplainRequest, 'image'>; exitCode: number }> = {
  ok: {
    seed: () => gitlab.putVariable({ group: ids.platform as number }, dac(toolValue(FRESH))),
    request: { project: 'platform/backend/api' },
    exitCode: 0,
  },
  shadowed: {
    seed: () => {
      gitlab.putVariable({ group: ids.platform as number }, dac(toolValue(FRESH)));
      gitlab.putVariable({ project: ids.worker as number }, dac(JSON.stringify({ auths: HUB })));
    },
    request: { project: 'platform/backend/worker' },
    exitCode: 1,
  },
  environment: {
    seed: () => gitlab.putVariable({ group: ids.platform as number }, dac(toolValue(FRESH), { environment_scope: 'production' })),
    request: { project: 'platform/backend/api', environment: 'review/login' },
    exitCode: 1,
  },
  protected: {
    seed: () => gitlab.putVariable({ group: ids.platform as number }, dac(toolValue(FRESH), { protected: true })),
    request: { project: 'platform/backend/api', ref: 'feature/login' },
    exitCode: 1,
  },
  'cred-helpers': {
    seed: () => gitlab.putVariable({ group: ids.platform as number }, dac(JSON.stringify({ ...JSON.parse(toolValue(FRESH)), credHelpers: { [ECR_HOST]: 'ecr-login' } }))),
    request: { project: 'platform/backend/api' },
    exitCode: 2,
  },
};

async function render(name: string): Promise<{ text: string; exitCode: number }> {
  const example = EXAMPLES[name] as (typeof EXAMPLES)[string];
  gitlab.clearVariables();
  example.seed();
  const transport = createGitLabTransport({ pacer: new AdaptivePacer({ maxConcurrency: 4 }), requestTimeoutMs: 2_000 });
  const report = await explainPull({ ...example.request, image: IMAGE }, { gitlab: new GitLabJobVariables({ url: gitlab.url, token: TOKEN, transport }), now: () => NOW });
  const flags = [`--project ${example.request.project}`, `--image ${IMAGE}`];
  if (example.request.environment) flags.push(`--environment ${example.request.environment}`);
  if (example.request.ref) flags.push(`--ref ${example.request.ref}`);
  return { text: `$ ecr-gitlab-refresher explain ${flags.join(' ')}\n${formatExplain(report)}`, exitCode: report.verdict.exitCode };
}

function block(name: string): RegExp {
  return new RegExp(`(<!-- explain:${name} -->\\n\`\`\`text\\n)([\\s\\S]*?)(\`\`\`\\n<!-- /explain:${name} -->)`);
}

describe('docs/troubleshooting.md: the explain examples are real output', () => {
  it.each(Object.keys(EXAMPLES))('%s', async (name) => {
    const { text, exitCode } = await render(name);
    expect(exitCode).toBe(EXAMPLES[name]?.exitCode);
    const page = readFileSync(DOC, 'utf8');
    expect(page).toMatch(block(name));
    if (!process.env.UPDATE_DOCS) return expect(block(name).exec(page)?.[2]).toBe(text);
    const updated = page.replace(block(name), (_all, open, _old, close) => `${open}${text}${close}`);
    writeFileSync(DOC, updated);
  });
});
