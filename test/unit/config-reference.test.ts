import { readdirSync, readFileSync } from 'node:fs';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  configJsonSchema,
  configJsonSchemaText,
  REFERENCE_END,
  REFERENCE_PAGE,
  REFERENCE_START,
  referenceRows,
  renderReferenceTable,
  SCHEMA_FILE,
  withReferenceTable,
} from '../../scripts/config-reference.js';
import { validateConfig } from '../../src/config/parse.js';

const root = new URL('../../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), 'utf8');
const CONFIG_FILES = ['refresher.config.example.yml', ...readdirSync(new URL('config/', root)).map((name) => `config/${name}`)];

/** A real JSON Schema validator for the draft zod emits (2020-12), with `format: uri` checked. */
function compileValidator() {
  const ajv = new Ajv2020.default({ allErrors: true, strict: true });
  addFormats.default(ajv);
  return ajv.compile(JSON.parse(read(SCHEMA_FILE)));
}

describe('Generated: refresher.config.schema.json and the reference in docs/configuration.md', () => {
  it('the committed JSON Schema is exactly what the zod schema generates (else run npm run docs:config)', () => {
    expect(read(SCHEMA_FILE)).toBe(configJsonSchemaText());
  });

  it('the reference table between the markers is exactly what the JSON Schema renders (else run npm run docs:config)', () => {
    const page = read(REFERENCE_PAGE);
    expect(page).toBe(withReferenceTable(page, renderReferenceTable(configJsonSchema())));
    const generated = page.slice(page.indexOf(REFERENCE_START), page.indexOf(REFERENCE_END));
    for (const field of ['`gitlab.url`', '`targets[].variables[].access`', '`targets[].coverShadowing.maxOwners`', '`profiles[].refs`', '`helper.digests`']) {
      expect(generated).toContain(`| ${field} |`);
    }
  });

  it('describes every field at any depth', () => {
    const rows = referenceRows(configJsonSchema());
    expect(rows.length).toBeGreaterThan(60);
    expect(rows.filter((row) => row.description.trim() === '').map((row) => row.field)).toEqual([]);
  });

  it('describes the input users write: defaults are optional and coverShadowing may be true', () => {
    const schema = configJsonSchema();
    const target = referenceRows(schema).find((row) => row.field === 'targets[].variable');
    expect(target).toMatchObject({ required: false, defaultValue: '`"DOCKER_AUTH_CONFIG"`' });
    expect(referenceRows(schema).find((row) => row.field === 'targets[].coverShadowing')?.type).toBe('boolean or object');
  });

  it('refuses a page without the markers instead of appending a table somewhere', () => {
    expect(() => withReferenceTable('# Configuration\n', '| table |')).toThrow(/needs the markers/);
  });
});

describe('Config files: editors and validation agree', () => {
  const validate = compileValidator();

  it.each(CONFIG_FILES)('%s points editors at the schema and validates against it (ajv) and with zod', (path) => {
    const text = read(path);
    const depth = path.split('/').length - 1;
    expect(text.split('\n')[0]).toBe(`# yaml-language-server: $schema=${depth === 0 ? './' : '../'.repeat(depth)}${SCHEMA_FILE}`);
    const config = parse(text);
    expect(validate(config), JSON.stringify(validate.errors)).toBe(true);
    expect(() => validateConfig(config)).not.toThrow();
  });

  it("the README's ten-line config validates too, and stays about ten lines", () => {
    const block = /```yaml\n(# yaml-language-server: \$schema=\.\/refresher\.config\.schema\.json\n[\s\S]*?)```/.exec(read('README.md'))?.[1];
    expect(block).toBeDefined();
    expect((block as string).trim().split('\n').length).toBeLessThanOrEqual(12);
    const config = parse(block as string);
    expect(validate(config), JSON.stringify(validate.errors)).toBe(true);
    expect(validateConfig(config).targets[0]?.coverShadowing).toEqual({ maxOwners: 2000 });
  });

  it('the full example in docs/configuration.md validates too', () => {
    const block = /## Example\n\n```yaml\n([\s\S]*?)```/.exec(read(REFERENCE_PAGE))?.[1];
    expect(block).toBeDefined();
    const config = parse(block as string);
    expect(validate(config), JSON.stringify(validate.errors)).toBe(true);
    expect(validateConfig(config).targets.length).toBeGreaterThan(2);
  });

  it('ajv refuses what the schema forbids: a misspelt key, a wrong type, a value outside its enum', () => {
    const config = parse(read('refresher.config.example.yml'));
    const broken = [
      { ...config, gitlab: { ...config.gitlab, concurency: 12 } },
      { ...config, registries: [{ name: 'prod', accountId: 123456789012, regions: ['eu-west-1'] }] },
      { ...config, targets: [{ project: 'platform/api', ownership: 'mine' }] },
    ];
    for (const candidate of broken) expect(validate(candidate)).toBe(false);
  });
});
