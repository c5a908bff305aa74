import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildModuleGraph, checkArchitecture, readSourceTree, type SourceTree, type Violation } from '../support/architecture.js';

const SRC = path.resolve(import.meta.dirname, '../../src');

function countModules(dir: string): number {
  return readdirSync(dir, { withFileTypes: true }).reduce(
    (count, entry) => count + (entry.isDirectory() ? countModules(path.join(dir, entry.name)) : entry.name.endsWith('.ts') ? 1 : 0),
    0,
  );
}

describe('Architecture: src/', () => {
  const tree = readSourceTree(SRC);
  const graph = buildModuleGraph(tree);

  it('reads every module and its imports, static and dynamic', () => {
    expect(graph.size).toBe(countModules(SRC));
    const edges = [...graph.values()].flat();
    expect(edges.filter((entry) => entry.target !== undefined).length).toBeGreaterThan(200);
    // config/runtime.ts loads the config file lazily with import('./load.js').
    expect(graph.get('config/runtime.ts')?.map((entry) => entry.target)).toContain('config/load.ts');
  });

  it('keeps every rule its READMEs declare: no loop, no import up a layer, no I/O in the core, nothing outside a folder’s list', () => {
    expect(checkArchitecture(tree).map((violation) => violation.message)).toEqual([]);
  });
});

/** A small house that keeps every rule; each case below breaks one. */
function fixture(): SourceTree {
  return {
    'README.md': ['Layers:', '', '1. `errors.ts`, `domain/`', '2. `config/`', '3. `core/`', '4. `adapters/`', '5. `cli/`', '', 'May import (errors.ts): nothing'].join('\n'),
    'errors.ts': 'export class FixtureError extends Error {}\n',
    'domain/README.md': 'May import: nothing\nPackages: none\n',
    'domain/hosts.ts': "export const PUBLIC_HOST = 'public.ecr.aws';\n",
    'config/README.md': 'May import: `errors.ts`, `domain/`\nPackages: `zod`\n',
    'config/schema.ts': "import { z } from 'zod';\nimport { PUBLIC_HOST } from '../domain/hosts.js';\nexport const schema = z.string().default(PUBLIC_HOST);\n",
    'core/README.md': 'May import: `errors.ts`, `domain/`, `config/`\nMay import (ports.ts): nothing\nPackages: none\n',
    'core/ports.ts': 'export interface Store {\n  put(value: string): Promise<void>;\n}\n',
    'core/formats/README.md': 'May import: `errors.ts`\n',
    'core/formats/value.ts': "import { FixtureError } from '../../errors.js';\nexport const fail = () => new FixtureError();\n",
    'core/refresh/README.md': 'May import: `config/`, `core/ports.ts`, `core/formats/`\n',
    'core/refresh/plan.ts':
      "import { schema } from '../../config/schema.js';\nimport type { Store } from '../ports.js';\nimport { fail } from '../formats/value.js';\nexport const plan = (store: Store) => [schema, store, fail];\n",
    'adapters/README.md': 'May import: `errors.ts`, `core/ports.ts`\nPackages: `@aws-sdk/*`, `node:*`\n',
    'adapters/aws/README.md': 'May import: `core/ports.ts`\n',
    'adapters/aws/store.ts':
      "import { S3Client } from '@aws-sdk/client-s3';\nimport type { Store } from '../../core/ports.js';\nexport const store = (client: S3Client): Store | undefined => undefined;\n",
    'cli/README.md': 'May import: `config/`, `core/`, `adapters/`\nPackages: `node:util`\n',
    'cli/main.ts':
      "import { parseArgs } from 'node:util';\nimport { plan } from '../core/refresh/plan.js';\nexport const run = async () => [parseArgs, plan, await import('../adapters/aws/store.js')];\n",
  };
}

function violationsAfter(change: (tree: SourceTree) => void): Violation[] {
  const tree = fixture();
  change(tree);
  return checkArchitecture(tree);
}

const appendTo = (tree: SourceTree, file: string, line: string) => {
  tree[file] = `${line}\n${tree[file] ?? ''}`;
};

describe('Function: checkArchitecture', () => {
  it('finds nothing wrong in a house that keeps its rules', () => {
    expect(checkArchitecture(fixture())).toEqual([]);
  });

  it('names both ends of an import loop between two modules', () => {
    const violations = violationsAfter((tree) => {
      appendTo(tree, 'core/refresh/plan.ts', "import { total } from './summary.js';");
      tree['core/refresh/summary.ts'] = "import type { plan } from './plan.js';\nexport const total = (p: typeof plan) => p;\n";
    });
    expect(violations).toEqual([{ rule: 'cycle', file: 'core/refresh/plan.ts', message: 'import loop: core/refresh/plan.ts → core/refresh/summary.ts → core/refresh/plan.ts' }]);
  });

  it('finds a loop between folders although no two modules import each other', () => {
    const violations = violationsAfter((tree) => {
      tree['core/formats/README.md'] = 'May import: `errors.ts`, `core/refresh/`\n';
      tree['core/formats/render.ts'] = "import { plan } from '../refresh/plan.js';\nexport const render = plan;\n";
    });
    expect(violations.map((violation) => violation.message)).toEqual(['import loop between folders: core/formats/ → core/refresh/ → core/formats/']);
  });

  it('refuses an import from a lower layer up into a higher one, naming the file, the import and the layers', () => {
    const violations = violationsAfter((tree) => appendTo(tree, 'config/schema.ts', "import type { Store } from '../core/ports.js';"));
    expect(violations).toContainEqual({
      rule: 'layer',
      file: 'config/schema.ts',
      specifier: '../core/ports.js',
      message: "config/schema.ts: import '../core/ports.js' reaches up from layer 2 (config/) to layer 3 (core/); a module imports only its own layer or lower ones",
    });
  });

  it('refuses I/O modules and SDKs in the core even where its README would allow them', () => {
    const violations = violationsAfter((tree) => {
      tree['core/README.md'] = 'May import: `errors.ts`, `domain/`, `config/`\nMay import (ports.ts): nothing\nPackages: `node:*`, `@aws-sdk/*`\n';
      appendTo(tree, 'core/refresh/plan.ts', "import { readFileSync } from 'node:fs';\nimport { S3Client } from '@aws-sdk/client-s3';");
    });
    expect(violations.map((violation) => [violation.rule, violation.message])).toEqual([
      ['core-io', "core/refresh/plan.ts: import 'node:fs': the core does no I/O and imports no SDK"],
      ['core-io', "core/refresh/plan.ts: import '@aws-sdk/client-s3': the core does no I/O and imports no SDK"],
    ]);
  });

  it('sees a dynamic import of an adapter from the core', () => {
    const violations = violationsAfter((tree) => {
      tree['core/refresh/plan.ts'] += "export const later = () => import('../../adapters/aws/store.js');\n";
    });
    expect(violations.map((violation) => violation.rule).sort()).toEqual(['core-io', 'layer', 'may-import', 'may-import']);
    expect(violations.find((violation) => violation.rule === 'core-io')?.message).toBe(
      "core/refresh/plan.ts: import '../../adapters/aws/store.js': the core does no I/O and imports no outer room (adapters/aws/store.ts)",
    );
  });

  it("refuses an import outside a folder's May import list, naming the README that says so", () => {
    const violations = violationsAfter((tree) => appendTo(tree, 'adapters/aws/store.ts', "import { schema } from '../../config/schema.js';"));
    expect(violations.map((violation) => violation.message)).toEqual([
      "adapters/aws/store.ts: import '../../config/schema.js' → config/schema.ts is outside what src/adapters/README.md allows (May import: errors.ts, core/ports.ts)",
      "adapters/aws/store.ts: import '../../config/schema.js' → config/schema.ts is outside what src/adapters/aws/README.md allows (May import: core/ports.ts)",
    ]);
  });

  it('refuses a package the folder does not list', () => {
    const violations = violationsAfter((tree) => appendTo(tree, 'config/schema.ts', "import { fetch } from 'undici';"));
    expect(violations).toEqual([
      {
        rule: 'packages',
        file: 'config/schema.ts',
        specifier: 'undici',
        message: "config/schema.ts: import 'undici' is a package src/config/README.md does not allow (Packages: zod)",
      },
    ]);
  });

  it('holds a file-scoped line to its file: ports.ts may not import a room of its own folder', () => {
    const violations = violationsAfter((tree) => appendTo(tree, 'core/ports.ts', "import { fail } from './formats/value.js';"));
    expect(violations.map((violation) => violation.message)).toEqual([
      "core/ports.ts: import './formats/value.js' → core/formats/value.ts is outside what src/core/README.md allows (May import: nothing)",
    ]);
  });

  it('asks every folder with modules for a README with a May import line, and every module for a layer', () => {
    const violations = violationsAfter((tree) => {
      tree['core/token/lock.ts'] = 'export const lock = 1;\n';
      tree['scripts/x.ts'] = 'export const x = 1;\n';
      tree['scripts/README.md'] = '# scripts\n';
    });
    expect(violations.map((violation) => violation.message)).toEqual([
      'src/core/token/ has no README.md saying what it owns and may import',
      'src/scripts/README.md has no "May import:" line',
      'scripts/x.ts: belongs to no layer of src/README.md; add its folder to a layer',
    ]);
  });

  it('refuses imports it cannot check: a computed import() and a path that names no module', () => {
    const violations = violationsAfter((tree) => {
      tree['cli/main.ts'] += "const name = './x.js';\nexport const load = () => import(name);\nexport { gone } from './gone.js';\n";
    });
    expect(violations.map((violation) => violation.message)).toEqual([
      'cli/main.ts: import() of a computed name; import a string literal so the rules can see it',
      "cli/main.ts: import './gone.js' resolves to no module of src/",
    ]);
  });
});
