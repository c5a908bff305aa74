import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseConfigText, validateConfig } from '../../src/config/parse.js';
import { ConfigError } from '../../src/errors.js';

const valid = {
  gitlab: { url: 'https://gitlab.example.com', tokenSecretId: 'ecr-gitlab-refresher/gitlab-token' },
  registries: [
    { name: 'prod', accountId: '123456789012', regions: ['us-east-1', 'eu-west-1'], roleArn: 'arn:aws:iam::123456789012:role/ecr-pull', externalId: 'abc' },
    { name: 'public', public: true },
  ],
  secrets: { prefix: 'ecr-gitlab-refresher/', kmsKeyId: 'alias/ecr-refresher' },
  targets: [{ project: 'platform/api', registries: ['prod'], environmentScope: '*', protected: false, variable: 'DOCKER_AUTH_CONFIG' }, { group: 'platform' }, { instance: true }],
};

// biome-ignore lint/suspicious/noExplicitAny: test edits reach into arbitrary config shapes
type Mutable = Record<string, any>;

function problemsOf(raw: unknown): string[] {
  try {
    validateConfig(raw);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

function withChange(change: (config: typeof valid & Record<string, unknown>) => void): unknown {
  const copy = structuredClone(valid) as typeof valid & Record<string, unknown>;
  change(copy);
  return copy;
}

describe('Function: validateConfig', () => {
  it('accepts the documented example and fills defaults', () => {
    const config = validateConfig(valid);
    expect(config.gitlab?.concurrency).toBe(12);
    expect(config.targets[1]).toMatchObject({ group: 'platform', variable: 'DOCKER_AUTH_CONFIG', masked: true, ownership: 'merge' });
    // Left undefined so an update keeps the variable's own setting.
    expect(config.targets[1]?.protected).toBeUndefined();
    expect(config.targets[1]?.variableType).toBeUndefined();
    expect(config.registries[1]).toMatchObject({ name: 'public', public: true });
  });

  it('turns numeric project ids into strings', () => {
    const config = validateConfig(withChange((c) => (c.targets[0] = { project: 42 } as never)));
    expect(config.targets[0]?.project).toBe('42');
  });

  it.each([
    ['targets[0].project: expected a path or id', (c: Mutable) => (c.targets[0].project = 'not a path')],
    ['targets[0].project: expected a path or id', (c: Mutable) => (c.targets[0].project = 'single-segment')],
    ['registries[0].accountId: expected a 12-digit account id', (c: Mutable) => (c.registries[0].accountId = '12345')],
    ['registries[0].accountId: expected a 12-digit account id in quotes', (c: Mutable) => (c.registries[0].accountId = 123456789012)],
    ['registries[0].regions[1]: expected an AWS region such as eu-west-1', (c: Mutable) => (c.registries[0].regions[1] = 'europe')],
    ['registries[0].roleArn: expected an IAM role ARN', (c: Mutable) => (c.registries[0].roleArn = 'arn:aws:iam::123:user/x')],
    ['registries[1].name: duplicate registry name "prod"', (c: Mutable) => (c.registries[1] = { name: 'prod', public: true })],
    ['targets[0].registries[0]: unknown registry "staging"', (c: Mutable) => (c.targets[0].registries = ['staging'])],
    ['targets[1].colour: unknown key', (c: Mutable) => (c.targets[1].colour = 'blue')],
    ['gitlab.url: https required', (c: Mutable) => (c.gitlab.url = 'http://gitlab.local')],
    ['targets[2].environmentScope: instance variables have no environment scope', (c: Mutable) => (c.targets[2].environmentScope = 'production')],
    ['targets[1]: needs exactly one of project, group or instance', (c: Mutable) => (c.targets[1].project = 'a/b')],
    ['registries[1].regions: not allowed for a public registry', (c: Mutable) => (c.registries[1].regions = ['us-east-1'])],
    ['registries[0].regions: lists a region twice', (c: Mutable) => (c.registries[0].regions = ['us-east-1', 'us-east-1'])],
    ['targets[0].variable: can contain only letters', (c: Mutable) => (c.targets[0].variable = 'DOCKER-AUTH')],
    ['targets[3]: duplicates an earlier target', (c: Mutable) => c.targets.push({ group: 'platform' })],
    ['gitlab.tokenSecretId', (c: Mutable) => (c.gitlab.tokenSecretId = '')],
    ['targets[3]: duplicates an earlier target', (c: Mutable) => c.targets.push({ group: 'PLATFORM' })],
    [
      'targets[0]: registries "prod" and "prod-push" both give the registry host of 123456789012 in us-east-1',
      (c: Mutable) => {
        c.registries.push({ name: 'prod-push', accountId: '123456789012', regions: ['us-east-1'], roleArn: 'arn:aws:iam::123456789012:role/ecr-push' });
        c.targets[0].registries = ['prod', 'prod-push'];
      },
    ],
    [
      'targets[1]: registries "prod" and "same-via-role" both give the registry host of 123456789012 in eu-west-1',
      (c: Mutable) => c.registries.push({ name: 'same-via-role', regions: ['eu-west-1'], roleArn: 'arn:aws:iam::123456789012:role/other' }),
    ],
  ])('reports "%s"', (expected, change) => {
    const problems = problemsOf(withChange(change));
    expect(problems.some((problem) => problem.startsWith(expected))).toBe(true);
  });

  it('names unknown top-level keys by their own path', () => {
    expect(problemsOf(withChange((c) => (c.extra = 1)))).toContain('extra: unknown key');
  });

  it('lists every problem at once, not only the first', () => {
    const problems = problemsOf({ gitlab: { url: 'nope' }, registries: [], targets: [{}] });
    expect(problems).toEqual(expect.arrayContaining(['registries: configure at least one registry', 'targets[0]: needs exactly one of project, group or instance']));
    expect(problems.find((problem) => problem.startsWith('gitlab.url'))).toBeDefined();
  });

  it('allows the same account through two roles in different variables', () => {
    const config = validateConfig(
      withChange((c: Mutable) => {
        c.registries.push({ name: 'push', accountId: '123456789012', regions: ['us-east-1'], roleArn: 'arn:aws:iam::123456789012:role/ecr-push' });
        c.targets = [{ group: 'platform', registries: ['prod'], variables: [{ name: 'ECR_PUSH', registries: ['push'] }] }] as never;
      }),
    );
    expect(config.targets[0]?.variables?.[0]?.registries).toEqual(['push']);
  });

  it('refuses push credentials in a variable the config declares unprotected', () => {
    const problems = problemsOf(withChange((c) => ((c.targets[1] as Mutable).variables = [{ name: 'ECR_PUSH', access: 'push', protected: false }])));
    expect(problems).toEqual([expect.stringMatching(/^targets\[1\]\.variables\[0\]\.protected: push credentials go only into protected variables/)]);
  });

  describe('secret names', () => {
    it('refuses a public registry whose host secret is the GitLab token secret, naming both fields', () => {
      const problems = problemsOf(withChange((c) => (c.registries[1] = { name: 'gitlab-token', public: true } as never)));
      expect(problems).toEqual([
        expect.stringMatching(
          /^gitlab\.tokenSecretId: the GitLab token secret and the host secret of registry "gitlab-token" are one Secrets Manager secret \(ecr-gitlab-refresher\/gitlab-token\).*\(see registries\[1\]\.name\)$/,
        ),
        expect.stringMatching(/^registries\[1\]\.name: .*\(see gitlab\.tokenSecretId\)$/),
      ]);
    });

    it('refuses a public registry named like the combined docker-config secret', () => {
      const problems = problemsOf(withChange((c) => (c.registries[1] = { name: 'docker-config', public: true } as never)));
      expect(problems.map((problem) => problem.split(':')[0])).toEqual(['secrets.prefix', 'registries[1].name']);
      expect(problems[0]).toContain('the combined docker-config secret and the host secret of registry "docker-config"');
    });

    it('compares a token secret given as an ARN by its name, and names without case', () => {
      const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:ecr-gitlab-refresher/Prod/us-east-1-AbC123';
      const problems = problemsOf(withChange((c) => (c.gitlab.tokenSecretId = arn)));
      expect(problems).toHaveLength(2);
      expect(problems[0]).toMatch(/^gitlab\.tokenSecretId: .*registry "prod" in us-east-1/);
    });

    it('accepts a token secret under the prefix that no registry reaches', () => {
      expect(validateConfig(valid).gitlab?.tokenSecretId).toBe('ecr-gitlab-refresher/gitlab-token');
    });
  });

  it('allows http only with allowInsecureHttp', () => {
    expect(validateConfig(withChange((c) => Object.assign(c.gitlab, { url: 'http://127.0.0.1:8080', allowInsecureHttp: true }))).gitlab?.url).toBe('http://127.0.0.1:8080');
  });
});

describe('GitLab paths (Gitlab::PathRegex)', () => {
  const targetProblem = (target: Record<string, unknown>) => problemsOf(withChange((c: Mutable) => (c.targets = [target]))).join('\n');

  it.each([
    [{ group: '..' }, 'targets[0].group: expected a path or id: part 1 of ".." ("..") is not a name: "." and ".." in a request URL would address another API endpoint'],
    [{ group: '.' }, 'targets[0].group: expected a path or id: part 1 of "." (".") is not a name'],
    [{ group: 'platform/..' }, 'part 2 of "platform/.." ("..") is not a name'],
    [{ project: 'platform/.' }, 'targets[0].project: expected a path or id: part 2 of "platform/." (".") is not a name'],
    [{ group: '/platform' }, 'part 1 of "/platform" is empty (a leading, trailing or double "/")'],
    [{ group: 'platform//team' }, 'part 2 of "platform//team" is empty'],
    [{ project: 'platform/api/' }, 'part 3 of "platform/api/" is empty'],
    [{ group: '-platform' }, `part 1 of "-platform" ("-platform") can contain only letters, digits, '_', '-' and '.', and cannot start with '-' or end in '.'`],
    [{ group: 'platform.' }, `("platform.") can contain only letters, digits, '_', '-' and '.', and cannot start with '-' or end in '.'`],
    [{ project: 'platform/-api' }, `("-api") can contain only letters, digits, '_', '-' and '.', and cannot start with '-'`],
    [{ project: 'platform/my api' }, `("my api") can contain only letters, digits`],
    [{ project: 'platform/api.git' }, 'part 2 of "platform/api.git" ("api.git") ends in ".git" or ".atom", which GitLab does not allow in a path'],
    [{ group: 'feeds.atom' }, '("feeds.atom") ends in ".git" or ".atom"'],
    [
      { project: 'https://gitlab.example.com/platform/api' },
      `"https://gitlab.example.com/platform/api" is a URL; give the project's path as GitLab shows it after the host, such as platform/api`,
    ],
    [{ project: 'api' }, 'targets[0].project: expected a path or id: a project path names its group too, such as platform/api'],
    [{ group: `${'g'.repeat(256)}` }, "is longer than GitLab's 255 characters"],
  ])('refuses %j', (target, expected) => {
    expect(targetProblem(target)).toContain(expected);
  });

  it.each([
    { group: 'platform' },
    { group: '_infra/.config/team-a' },
    { group: 'a' },
    { group: 'Platform.Tools/x_1' },
    { project: 'platform/api' },
    { project: 'platform/api.' },
    { project: 'platform/.dotfiles' },
    { project: 'platform/sub/app.GIT' },
    { project: 123 },
    { group: '456' },
  ])('accepts %j, a path GitLab allows', (target) => {
    expect(validateConfig(withChange((c: Mutable) => (c.targets = [target]))).targets).toHaveLength(1);
  });

  it('accepts only group paths that address /groups/<path>/variables, whatever the characters', () => {
    const base = 'https://gitlab.example.com/api/v4/';
    const path = fc.stringMatching(/^[a-z./_-]{1,12}$/);
    let accepted = 0;
    fc.assert(
      fc.property(path, (group) => {
        let valid = true;
        try {
          validateConfig(withChange((c: Mutable) => (c.targets = [{ group }])));
        } catch {
          valid = false;
        }
        if (!valid) return;
        accepted++;
        // What gitbeaker sends: the id URL-encoded into the resource path.
        const encoded = encodeURIComponent(group);
        expect(new URL(`groups/${encoded}/variables/X`, base).pathname).toBe(`/api/v4/groups/${encoded}/variables/X`);
      }),
      { numRuns: 500, examples: [['..'], ['.'], ['a']] },
    );
    expect(accepted).toBeGreaterThan(0);
  });
});

describe('Secrets Manager tags', () => {
  const tagProblems = (tags: Record<string, unknown>) => problemsOf(withChange((c: Mutable) => (c.secrets.tags = tags))).join('\n');
  const manyTags = (count: number, first = 0) => Object.fromEntries(Array.from({ length: count }, (_, index) => [`t${first + index}`, 'v']));

  it.each([
    [{ 'aws:owner': 'me' }, 'secrets.tags["aws:owner"]: tag key "aws:owner" starts with "aws:", which AWS reserves for itself'],
    [{ 'AWS:Owner': 'me' }, 'tag key "AWS:Owner" starts with "aws:"'],
    [{ owner: 'aws:me' }, 'secrets.tags.owner: tag value "aws:me" starts with "aws:"'],
    [{ 'bad!key': 'x' }, `secrets.tags["bad!key"]: tag key "bad!key" may contain only letters, digits, spaces and _ . : / = + - @ (Secrets Manager's rule)`],
    [{ team: 'a,b' }, 'secrets.tags.team: tag value "a,b" may contain only letters'],
    [{ '': 'x' }, 'tag key must be 1-128 characters, is 0'],
    [{ ['k'.repeat(129)]: 'x' }, 'tag key must be 1-128 characters, is 129'],
    [{ team: 'v'.repeat(257) }, 'secrets.tags.team: tag value must be 0-256 characters, is 257'],
    [{ cost: 12 }, 'secrets.tags.cost: expected a string (quote numbers and booleans)'],
    [manyTags(50), "secrets.tags: 51 tags with the tool's own managed-by; Secrets Manager allows 50 per secret"],
  ])('refuses %j', (tags, expected) => {
    expect(tagProblems(tags)).toContain(expected);
  });

  it('accepts what Secrets Manager accepts: letters of any script, spaces, the allowed signs, an empty value, 50 tags with its own', () => {
    const tags = { 'Équipe Plateforme': 'Zürich @ eu-west-1: a/b=c+d_e.f-g', 'cost-centre': '', ...manyTags(47) };
    expect(validateConfig(withChange((c: Mutable) => (c.secrets.tags = tags))).secrets?.tags).toEqual(tags);
  });
});

describe('Secrets Manager tags: the owner tag', () => {
  it('refuses managed-by in secrets.tags: the tool writes only secrets that carry its own managed-by tag', () => {
    expect(() => validateConfig(withChange((c: Mutable) => (c.secrets.tags = { 'managed-by': 'platform' })))).toThrow(/secrets\.tags\.managed-by.*reserved/s);
  });
});

describe('Function: parseConfigText', () => {
  it('reads YAML and JSON alike', () => {
    const yaml = 'gitlab:\n  url: https://g.example.com\nregistries:\n  - name: p\n    accountId: "111111111111"\n    regions: [us-east-1]\ntargets:\n  - group: g\n';
    expect(parseConfigText(yaml).targets[0]?.group).toBe('g');
    expect(parseConfigText(JSON.stringify(valid)).registries).toHaveLength(2);
  });

  it('reports a YAML syntax error with the file name', () => {
    expect(() => parseConfigText('gitlab: [unclosed', 'refresher.yml')).toThrowError(/refresher\.yml: not valid YAML\/JSON/);
  });

  it('refuses duplicate keys rather than silently keeping the last', () => {
    expect(() => parseConfigText('gitlab:\n  url: https://a\ngitlab:\n  url: https://b\n')).toThrow(ConfigError);
  });

  it('refuses a document that is not a mapping', () => {
    expect(() => parseConfigText('- just\n- a list\n')).toThrowError(/expected a mapping/);
  });
});

describe('Shipped configuration files', () => {
  it.each(['refresher.config.example.yml', 'config/dev.yml'])('%s is valid', async (file) => {
    const { loadConfigFile } = await import('../../src/config/load.js');
    const config = loadConfigFile(file);
    expect(config.targets.length).toBeGreaterThan(0);
  });
});
