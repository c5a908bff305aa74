/**
 * The config file's JSON Schema and the reference table in docs/configuration.md, both generated from
 * the zod schema so neither can drift from what validation accepts. The JSON Schema describes the INPUT
 * users write (defaults optional, `coverShadowing: true` allowed); cross-field rules stay in zod only.
 */
import { z } from 'zod';
import { configSchema } from '../src/config/schema.js';

export const SCHEMA_FILE = 'refresher.config.schema.json';
export const REFERENCE_PAGE = 'docs/configuration.md';
export const REFERENCE_START = '<!-- config-reference:start (generated from the zod schema by `npm run docs:config`; do not edit by hand) -->';
export const REFERENCE_END = '<!-- config-reference:end -->';

/** The subset of JSON Schema that zod emits for this config. */
export interface JsonSchemaNode {
  type?: string;
  description?: string;
  default?: unknown;
  const?: unknown;
  enum?: unknown[];
  pattern?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  properties?: Record<string, JsonSchemaNode>;
  required?: string[];
  items?: JsonSchemaNode;
  additionalProperties?: JsonSchemaNode | boolean;
  anyOf?: JsonSchemaNode[];
  [key: string]: unknown;
}

/** The JSON Schema of the file users write (zod's `io: 'input'`: defaults are optional there). */
export function configJsonSchema(): JsonSchemaNode {
  const schema = z.toJSONSchema(configSchema, { io: 'input', target: 'draft-2020-12' }) as JsonSchemaNode;
  return { ...schema, title: 'ecr-gitlab-refresher configuration' };
}

/** The committed file's exact text; the repository's formatter leaves this file alone (biome.json). */
export function configJsonSchemaText(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}

export interface ReferenceRow {
  field: string;
  type: string;
  required: boolean;
  values: string;
  defaultValue: string;
  description: string;
}

/** One row per property at any depth, in schema order: `targets[].variables[].name`. */
export function referenceRows(schema: JsonSchemaNode): ReferenceRow[] {
  const rows: ReferenceRow[] = [];
  const visit = (node: JsonSchemaNode, prefix: string) => {
    for (const [name, property] of Object.entries(node.properties ?? {})) {
      const field = `${prefix}${name}`;
      rows.push({
        field,
        type: typeOf(property),
        required: node.required?.includes(name) ?? false,
        values: valuesOf(property),
        defaultValue: property.default === undefined ? '' : `\`${JSON.stringify(property.default)}\``,
        description: property.description ?? '',
      });
      for (const [inner, suffix] of nestedObjects(property)) visit(inner, `${field}${suffix}.`);
    }
  };
  visit(schema, '');
  return rows;
}

function nestedObjects(node: JsonSchemaNode): Array<[JsonSchemaNode, string]> {
  if (node.properties) return [[node, '']];
  if (node.items) return nestedObjects(node.items).map(([inner, suffix]) => [inner, `[]${suffix}`]);
  return (node.anyOf ?? []).flatMap(nestedObjects);
}

function typeOf(node: JsonSchemaNode): string {
  if (node.const !== undefined) return `\`${JSON.stringify(node.const)}\``;
  if (node.anyOf) return node.anyOf.map(typeOf).join(' or ');
  if (node.type === 'array') return `list of ${node.items ? typeOf(node.items) : 'anything'}`;
  if (node.type === 'object' && !node.properties && typeof node.additionalProperties === 'object') return `map of ${typeOf(node.additionalProperties)}`;
  return node.type ?? 'anything';
}

/** The constraints a reader needs: allowed values, ranges, lengths, pattern. */
function valuesOf(node: JsonSchemaNode): string {
  if (node.enum) return node.enum.map((value) => `\`${JSON.stringify(value)}\``).join(', ');
  const parts: string[] = [];
  const low = node.minimum ?? (node.exclusiveMinimum === undefined ? undefined : `> ${node.exclusiveMinimum}`);
  // zod writes Number.MAX_SAFE_INTEGER as the upper bound of a plain positive integer: no real limit.
  const high = node.maximum === Number.MAX_SAFE_INTEGER ? undefined : node.maximum;
  if (typeof low === 'number' && high !== undefined) parts.push(`${low}–${high}`);
  else parts.push(...[typeof low === 'number' ? `≥ ${low}` : low, high === undefined ? undefined : `≤ ${high}`].filter((part) => part !== undefined));
  if (node.minLength !== undefined && node.minLength > 1) parts.push(`at least ${node.minLength} characters`);
  if (node.maxLength !== undefined) parts.push(`at most ${node.maxLength} characters`);
  if (node.minItems !== undefined) parts.push(`at least ${node.minItems}`);
  if (node.format === 'uri') parts.push('URL');
  if (node.pattern) parts.push(`\`${node.pattern}\``);
  if (node.anyOf) parts.push(...node.anyOf.map(valuesOf).filter((part) => part !== ''));
  const each = node.items ? valuesOf(node.items) : '';
  if (each !== '') parts.push(`each ${each}`);
  return parts.join('; ');
}

/** GitHub tables end a cell at `|`, also inside code spans, unless it is escaped. */
function cell(text: string): string {
  return text.replaceAll('|', '\\|').replaceAll('\n', ' ');
}

export function renderReferenceTable(schema: JsonSchemaNode): string {
  const lines = ['| field | type | required | values | default | description |', '|---|---|---|---|---|---|'];
  for (const row of referenceRows(schema)) {
    // Descriptions are prose: a <placeholder> there would be read as an HTML tag and vanish.
    const cells = [`\`${row.field}\``, row.type, row.required ? 'yes' : '', row.values, row.defaultValue, row.description.replaceAll('<', '&lt;')];
    lines.push(`| ${cells.map(cell).join(' | ')} |`);
  }
  return lines.join('\n');
}

/** `page` with the text between the reference markers replaced; a page without both markers is an error. */
export function withReferenceTable(page: string, table: string): string {
  const start = page.indexOf(REFERENCE_START);
  const end = page.indexOf(REFERENCE_END);
  if (start < 0 || end < start) throw new Error(`${REFERENCE_PAGE} needs the markers ${REFERENCE_START} and ${REFERENCE_END}`);
  return `${page.slice(0, start + REFERENCE_START.length)}\n${table}\n${page.slice(end)}`;
}
