/**
 * The shell commands a reader copies out of README.md and docs/*.md: every line of a `sh`/`bash`/
 * `shell`/`console` block (continuations joined, comments dropped), every `$ ` line of a `text` block,
 * and inline code spans that are a whole command of this project (`npx ecr-gitlab-refresher …`,
 * `npm run …`, `npx serverless …`) or of the aws CLI.
 */

export interface DocCommand {
  file: string;
  line: number;
  text: string;
  /** A usage line (`[--flag VALUE]`, `...`, `a|b`) rather than a command to run as written. */
  synopsis: boolean;
}

/** The word that stands for a `$(…)` in the command around it. */
export const SUBSTITUTED = 'SUBSTITUTED';
const SHELL_BLOCKS = new Set(['sh', 'bash', 'shell', 'console']);
/** A whole command: the program and at least one argument (a bare `aws` or `npx ecr-gitlab-refresher` is a name in prose). */
const INLINE_COMMAND = /^(?:(?:npx ecr-gitlab-refresher|ecr-gitlab-refresher|npm run|npx serverless|aws) \S|npm test$)/;

export function extractCommands(file: string, markdown: string): DocCommand[] {
  const commands: DocCommand[] = [];
  const lines = markdown.split('\n');
  let fence: string | undefined;
  let pending: { line: number; text: string } | undefined;
  const push = (line: number, text: string) => {
    // A command substitution is a command of its own; the outer one sees a placeholder word in its place.
    const inner = /"?\$\((.*)\)"?/.exec(text);
    if (inner) push(line, inner[1] as string);
    const command = (inner ? text.replace(inner[0], SUBSTITUTED) : text).replace(/\s+/g, ' ').trim();
    if (command !== '') commands.push({ file, line, text: command, synopsis: isSynopsis(command) });
  };
  lines.forEach((raw, index) => {
    const opening = /^\s*```(\S*)/.exec(raw);
    if (opening) {
      fence = fence === undefined ? opening[1] || 'plain' : undefined;
      return;
    }
    if (fence === undefined) {
      for (const span of raw.matchAll(/`([^`]+)`/g)) if (INLINE_COMMAND.test(span[1] as string)) push(index + 1, span[1] as string);
      return;
    }
    const text = fence === 'text' ? (raw.startsWith('$ ') ? raw.slice(2) : undefined) : SHELL_BLOCKS.has(fence) ? raw : undefined;
    if (text === undefined) return;
    const joined = `${pending?.text ?? ''}${stripComment(text)}`;
    if (/\\\s*$/.test(joined)) {
      pending = { line: pending?.line ?? index + 1, text: `${joined.replace(/\\\s*$/, '')} ` };
      return;
    }
    push(pending?.line ?? index + 1, joined);
    pending = undefined;
  });
  return commands;
}

/** A `#` that starts a word outside quotes begins a comment, as in sh. */
function stripComment(line: string): string {
  let quote: string | undefined;
  for (let index = 0; index < line.length; index++) {
    const char = line[index];
    if (quote) {
      if (char === quote) quote = undefined;
    } else if (char === '"' || char === "'") quote = char;
    else if (char === '#' && (index === 0 || /\s/.test(line[index - 1] as string))) return line.slice(0, index).trimEnd();
  }
  return line;
}

function isSynopsis(command: string): boolean {
  return /\[[^\]]*\]|\.\.\.|\w\|\w/.test(command.replace(/"[^"]*"|'[^']*'/g, ''));
}

/** Words as sh splits them (quotes removed); enough for the commands the docs show. */
export function shellWords(command: string): string[] {
  const words: string[] = [];
  for (const match of command.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)) words.push(match[1] ?? match[2] ?? (match[3] as string));
  // `--param="a=b"` is one word: glue quoted parts that follow a word without a space.
  return command.includes('="') || command.includes("='") ? glueAssignments(command) : words;
}

function glueAssignments(command: string): string[] {
  const words: string[] = [];
  for (const match of command.matchAll(/(?:[^\s"']+|"[^"]*"|'[^']*')+/g)) words.push(match[0].replace(/"([^"]*)"|'([^']*)'/g, '$1$2'));
  return words;
}

/**
 * The forms of a usage line worth checking: the minimal one (no optional group) and the minimal one
 * plus each optional group on its own (first alternative of `a|b`), placeholders filled.
 */
export function synopsisForms(command: string): string[] {
  const groups = [...command.matchAll(/\[([^\]]*)\]/g)].map((match) => match[1] as string);
  const minimal = clean(command.replace(/\[[^\]]*\](\.\.\.)?/g, ' '));
  return [minimal, ...groups.map((group) => `${minimal} ${clean(group)}`)];
}

function clean(text: string): string {
  return text
    .replace(/\.\.\./g, ' ')
    .replace(/(\S+?)\|\S+/g, '$1')
    .replace(/\s+/g, ' ')
    .trim();
}
