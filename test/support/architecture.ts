import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/**
 * The import rules of src/, read from the folders' own README.md files and checked over the module
 * graph (docs/architecture.md). The rules live in the READMEs a reader sees first, so the prose and the
 * check cannot drift apart:
 *
 * - src/README.md lists the layers, lowest first, as numbered lines of backticked folders and files
 *   (`1. \`errors.ts\`, \`domain/\``). A module may import its own layer or a lower one, never a higher one.
 * - Any README.md may say `May import: \`config/\`, \`core/ports.ts\`` (paths below src/) and
 *   `Packages: \`zod\`, \`node:fs\`` (a trailing `*` matches a prefix); `nothing`/`none` allow nothing.
 *   A line applies to every module below that folder and is checked together with every README above
 *   it; imports that stay inside the README's own folder are always allowed. `May import (errors.ts):`
 *   scopes a line to files of that folder.
 *
 * Independently of the READMEs, core/ never imports I/O modules, SDKs or the outer layers.
 */

/** Paths below src/ (forward slashes) → their text: the .ts modules and the README.md files. */
export type SourceTree = Record<string, string>;

export type Rule = 'cycle' | 'layer' | 'core-io' | 'may-import' | 'packages' | 'unresolved' | 'unlisted' | 'readme';

export interface Violation {
  rule: Rule;
  file: string;
  /** The import specifier as written, when the rule is about one import. */
  specifier?: string;
  message: string;
}

export interface ModuleImport {
  specifier: string;
  /** The src module it names (src-relative), for relative imports that resolve. */
  target?: string;
}

/** The graph the rules are checked on: every module with every import it makes. */
export type ModuleGraph = Map<string, ModuleImport[]>;

interface ImportLine {
  /** Folder of the README (src-relative, '' for src itself). */
  folder: string;
  /** Only these files of the folder (file-scoped lines), or undefined for the whole subtree. */
  files?: string[];
  items: string[];
  readme: string;
}

/** I/O modules and SDKs the core never imports: it only decides, adapters act. */
const CORE_FORBIDDEN_PACKAGES = [
  'node:fs',
  'node:fs/*',
  'node:net',
  'node:http',
  'node:https',
  'node:http2',
  'node:tls',
  'node:dgram',
  'node:dns',
  'node:child_process',
  'node:worker_threads',
  'node:cluster',
  'fs',
  'net',
  'http',
  'https',
  'tls',
  'child_process',
  '@aws-sdk/*',
  '@smithy/*',
  '@gitbeaker/*',
  'undici',
];
/** The outer rooms the core never reaches into. */
const CORE_FORBIDDEN_MODULES = ['adapters/', 'observability/', 'handlers/', 'cli/', 'wiring.ts', 'wiring-inspect.ts'];

/** Reads every .ts module and README.md below `srcDir`. */
export function readSourceTree(srcDir: string): SourceTree {
  const tree: SourceTree = {};
  const visit = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const full = path.join(dir, name);
      if (statSync(full).isDirectory()) visit(full);
      else if (name.endsWith('.ts') || name === 'README.md') tree[path.relative(srcDir, full).split(path.sep).join('/')] = readFileSync(full, 'utf8');
    }
  };
  visit(srcDir);
  return tree;
}

/** Static imports, `export … from`, `import type`, `import('…')` and type queries of every module. */
export function buildModuleGraph(tree: SourceTree): ModuleGraph {
  const graph: ModuleGraph = new Map();
  for (const [file, text] of Object.entries(tree)) {
    if (!file.endsWith('.ts')) continue;
    const imports = ts.preProcessFile(text, true, true).importedFiles.map(({ fileName }): ModuleImport => {
      if (!fileName.startsWith('.')) return { specifier: fileName };
      const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(file), fileName)).replace(/\.js$/, '.ts');
      return { specifier: fileName, target: resolved in tree ? resolved : undefined };
    });
    graph.set(file, imports);
  }
  return graph;
}

/** Every broken rule of the tree, each naming the file, the import and the rule; empty when the house is in order. */
export function checkArchitecture(tree: SourceTree): Violation[] {
  const graph = buildModuleGraph(tree);
  const layers = parseLayers(tree['README.md'] ?? '');
  const importLines = parseImportLines(tree, 'May import');
  const packageLines = parseImportLines(tree, 'Packages');
  const violations: Violation[] = [...readmeViolations(tree, graph, layers), ...nonLiteralImports(tree)];
  for (const [file, imports] of graph) {
    const fromLayer = layerOf(file, layers);
    if (fromLayer === undefined) {
      violations.push({ rule: 'unlisted', file, message: `${file}: belongs to no layer of src/README.md; add its folder to a layer` });
    }
    for (const { specifier, target } of imports) {
      const at = `${file}: import '${specifier}'`;
      if (specifier.startsWith('.') && target === undefined) {
        violations.push({ rule: 'unresolved', file, specifier, message: `${at} resolves to no module of src/` });
        continue;
      }
      if (target === undefined) {
        violations.push(...packageViolations(file, specifier, packageLines));
        continue;
      }
      const toLayer = layerOf(target, layers);
      if (fromLayer !== undefined && toLayer !== undefined && toLayer > fromLayer) {
        violations.push({
          rule: 'layer',
          file,
          specifier,
          message: `${at} reaches up from layer ${fromLayer + 1} (${layers[fromLayer]?.join(', ')}) to layer ${toLayer + 1} (${layers[toLayer]?.join(', ')}); a module imports only its own layer or lower ones`,
        });
      }
      if (file.startsWith('core/') && CORE_FORBIDDEN_MODULES.some((room) => covers(room, target))) {
        violations.push({ rule: 'core-io', file, specifier, message: `${at}: the core does no I/O and imports no outer room (${target})` });
      }
      for (const line of applicableLines(file, importLines)) {
        // A folder's own modules are its business; file-scoped lines (`May import (ports.ts):`) have no such room.
        if (!line.files && line.folder !== '' && covers(`${line.folder}/`, target)) continue;
        if (!line.items.some((item) => covers(item, target))) {
          violations.push({ rule: 'may-import', file, specifier, message: `${at} → ${target} is outside what ${line.readme} allows (May import: ${describeItems(line.items)})` });
        }
      }
    }
  }
  violations.push(...cycleViolations(graph), ...roomCycleViolations(graph));
  return violations;
}

// --- Layers and README lines -------------------------------------------------------------------------

function parseLayers(readme: string): string[][] {
  return readme
    .split('\n')
    .filter((line) => /^\d+\.\s+`/.test(line))
    .map((line) => backticked(line));
}

function layerOf(file: string, layers: string[][]): number | undefined {
  const index = layers.findIndex((items) => items.some((item) => covers(item, file)));
  return index === -1 ? undefined : index;
}

function parseImportLines(tree: SourceTree, label: 'May import' | 'Packages'): ImportLine[] {
  const pattern = new RegExp(`^${label}(?: \\(([^)]+)\\))?:(.*)$`);
  return Object.entries(tree)
    .filter(([file]) => file.endsWith('README.md'))
    .flatMap(([readme, text]) => {
      const folder = path.posix.dirname(readme) === '.' ? '' : path.posix.dirname(readme);
      return text.split('\n').flatMap((line): ImportLine[] => {
        const match = pattern.exec(line.trim());
        if (!match) return [];
        const files = match[1]?.split(',').map((name) => name.trim());
        return [{ folder, files, items: backticked(match[2] as string), readme: `src/${readme}` }];
      });
    });
}

/** The lines of every README from src down to the file's folder (file-scoped ones only for their files). */
function applicableLines(file: string, lines: ImportLine[]): ImportLine[] {
  const dir = path.posix.dirname(file) === '.' ? '' : path.posix.dirname(file);
  return lines.filter((line) => {
    if (line.files) return line.folder === dir && line.files.includes(path.posix.basename(file));
    return line.folder === '' ? dir === '' : dir === line.folder || dir.startsWith(`${line.folder}/`);
  });
}

function packageViolations(file: string, specifier: string, lines: ImportLine[]): Violation[] {
  const violations: Violation[] = [];
  const at = `${file}: import '${specifier}'`;
  if (file.startsWith('core/') && CORE_FORBIDDEN_PACKAGES.some((name) => packageMatches(name, specifier))) {
    violations.push({ rule: 'core-io', file, specifier, message: `${at}: the core does no I/O and imports no SDK` });
  }
  for (const line of applicableLines(file, lines)) {
    if (!line.items.some((name) => packageMatches(name, specifier))) {
      violations.push({ rule: 'packages', file, specifier, message: `${at} is a package ${line.readme} does not allow (Packages: ${describeItems(line.items)})` });
    }
  }
  return violations;
}

/** Every folder with modules opens with a README.md that says what it may import. */
function readmeViolations(tree: SourceTree, graph: ModuleGraph, layers: string[][]): Violation[] {
  const violations: Violation[] = [];
  if (layers.length === 0) violations.push({ rule: 'readme', file: 'README.md', message: 'src/README.md lists no layers (numbered lines of backticked folders)' });
  const folders = new Set([...graph.keys()].map((file) => path.posix.dirname(file)).filter((dir) => dir !== '.'));
  for (const folder of folders) {
    const readme = tree[`${folder}/README.md`];
    if (readme === undefined) violations.push({ rule: 'readme', file: `${folder}/`, message: `src/${folder}/ has no README.md saying what it owns and may import` });
    else if (!/^May import:/m.test(readme)) violations.push({ rule: 'readme', file: `${folder}/README.md`, message: `src/${folder}/README.md has no "May import:" line` });
  }
  return violations;
}

/** `import(name)` with a computed name cannot be checked, so it is not allowed. */
function nonLiteralImports(tree: SourceTree): Violation[] {
  return Object.entries(tree)
    .filter(([file, text]) => file.endsWith('.ts') && /\bimport\s*\(\s*[^'"\s]/.test(stripComments(text)))
    .map(([file]) => ({ rule: 'unresolved' as const, file, message: `${file}: import() of a computed name; import a string literal so the rules can see it` }));
}

function stripComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:])\/\/.*$/gm, '$1');
}

function backticked(text: string): string[] {
  return [...text.matchAll(/`([^`]+)`/g)].map((match) => match[1] as string);
}

/** `core/` covers every module below it; `errors.ts` covers itself. */
function covers(item: string, file: string): boolean {
  return item.endsWith('/') ? file.startsWith(item) : file === item;
}

function packageMatches(pattern: string, specifier: string): boolean {
  return pattern.endsWith('*') ? specifier.startsWith(pattern.slice(0, -1)) : specifier === pattern;
}

function describeItems(items: string[]): string {
  return items.length === 0 ? 'nothing' : items.join(', ');
}

// --- Cycles ------------------------------------------------------------------------------------------

/** One violation per import loop (a strongly connected set of modules), naming a loop through it. */
function cycleViolations(graph: ModuleGraph): Violation[] {
  const edges = new Map([...graph].map(([file, imports]) => [file, [...new Set(imports.flatMap((entry) => (entry.target ? [entry.target] : [])))]]));
  return stronglyConnected(edges)
    .filter((component) => component.length > 1 || (edges.get(component[0] as string) ?? []).includes(component[0] as string))
    .map((component) => {
      const loop = loopThrough(component, edges);
      return { rule: 'cycle' as const, file: loop[0] as string, message: `import loop: ${loop.join(' → ')}` };
    });
}

/** Loops between folders (rooms) even when no two modules import each other: each room stays above the ones it uses. */
function roomCycleViolations(graph: ModuleGraph): Violation[] {
  // Each file at src/'s own level is a room of its own: errors.ts sits below everything, wiring.ts above.
  const roomOf = (file: string) => (file.includes('/') ? path.posix.dirname(file) : file);
  const edges = new Map<string, string[]>();
  for (const [file, imports] of graph) {
    const from = roomOf(file);
    const targets = edges.get(from) ?? [];
    for (const { target } of imports) if (target && roomOf(target) !== from && !targets.includes(roomOf(target))) targets.push(roomOf(target));
    edges.set(from, targets);
  }
  return stronglyConnected(edges)
    .filter((component) => component.length > 1)
    .map((component) => {
      const loop = loopThrough(component, edges).map((room) => (room.endsWith('.ts') ? room : `${room}/`));
      return { rule: 'cycle' as const, file: loop[0] as string, message: `import loop between folders: ${loop.join(' → ')}` };
    });
}

/** Tarjan's algorithm, iterative enough for a few hundred modules. */
function stronglyConnected(edges: Map<string, string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const visit = (node: string) => {
    index.set(node, counter);
    low.set(node, counter);
    counter++;
    stack.push(node);
    onStack.add(node);
    for (const next of edges.get(node) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node) as number, low.get(next) as number));
      } else if (onStack.has(next)) low.set(node, Math.min(low.get(node) as number, index.get(next) as number));
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop() as string;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      components.push(component.sort());
    }
  };
  for (const node of [...edges.keys()].sort()) if (!index.has(node)) visit(node);
  return components;
}

/** A shortest path from the component's first module back to itself, inside the component. */
function loopThrough(component: string[], edges: Map<string, string[]>): string[] {
  const start = component[0] as string;
  const members = new Set(component);
  const previous = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const node = queue.shift() as string;
    for (const next of edges.get(node) ?? []) {
      if (!members.has(next)) continue;
      if (next === start) {
        const path = [start];
        for (let at: string | undefined = node; at !== undefined && at !== start; at = previous.get(at)) path.splice(1, 0, at);
        return [...path, start];
      }
      if (!previous.has(next)) {
        previous.set(next, node);
        queue.push(next);
      }
    }
  }
  return [start, start];
}
