import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { describe, expect, it } from 'vitest';

/** Every relative link in README.md and docs/ reaches a file, and a heading when it names one. */

const root = new URL('../../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), 'utf8');
const PAGES = [
  'README.md',
  ...readdirSync(new URL('docs/', root))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
];

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to '-', repeats numbered. */
function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  const withoutCode = markdown.replace(/^```[\s\S]*?^```/gm, '');
  for (const match of withoutCode.matchAll(/^#{1,6} +(.+)$/gm)) {
    const text = (match[1] as string).replace(/\[([^\]]*)\]\([^)]*\)/g, '$1');
    const slug = text
      .toLowerCase()
      .replace(/[^\p{L}\p{N} _-]/gu, '')
      .replace(/ /g, '-');
    const count = seen.get(slug) ?? 0;
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
    seen.set(slug, count + 1);
  }
  return anchors;
}

function relativeLinks(markdown: string): string[] {
  const withoutCode = markdown.replace(/^```[\s\S]*?^```/gm, '').replace(/`[^`\n]*`/g, '');
  return [...withoutCode.matchAll(/\]\(([^)\s]+)\)/g)].map((match) => match[1] as string).filter((link) => !/^[a-z]+:/.test(link));
}

const LINKS = PAGES.flatMap((page) => relativeLinks(read(page)).map((link) => [`${page} → ${link}`, page, link] as const));

describe('Docs: links between README.md and docs/', () => {
  it('finds the links the pages make', () => {
    expect(LINKS.length).toBeGreaterThan(40);
    expect(LINKS.filter(([, page]) => page === 'README.md').length).toBeGreaterThan(15);
  });

  it.each(LINKS)('%s resolves', (_label, page, link) => {
    const [path = '', anchor] = link.split('#');
    const target = path === '' ? page : normalize(join(dirname(page), path));
    expect(existsSync(new URL(target, root)), target).toBe(true);
    if (anchor !== undefined && target.endsWith('.md')) expect([...headingAnchors(read(target))]).toContain(anchor);
  });

  it('names only repository files that exist (a moved file is a drifted doc)', () => {
    const named = PAGES.flatMap((page) =>
      [...read(page).matchAll(/`((?:src|test|build|scripts|bench|events)\/[\w./-]+\.(?:ts|cjs|mjs|sh|json|yml))`/g)].map((match) => `${page}: ${match[1]}`),
    );
    expect(named.length).toBeGreaterThan(20);
    expect(named.filter((entry) => !existsSync(new URL(entry.split(': ')[1] as string, root)))).toEqual([]);
  });

  it("computes GitHub's anchors, including for punctuation and repeated headings", () => {
    expect([...headingAnchors("# Why can't my job pull?\n## Out of time, and rate limits\n## Tests\n## Tests\n```\n# not a heading\n```\n")]).toEqual([
      'why-cant-my-job-pull',
      'out-of-time-and-rate-limits',
      'tests',
      'tests-1',
    ]);
  });
});
