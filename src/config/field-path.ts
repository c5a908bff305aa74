/** `targets[2].project` from zod's `['targets', 2, 'project']`. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  return path.reduce<string>((out, part) => {
    if (typeof part === 'number') return `${out}[${part}]`;
    const key = String(part);
    // Keys a user could not have meant as names (spaces, dots, empty) are quoted so the path stays readable.
    if (!/^[A-Za-z_][\w-]*$/.test(key)) return `${out}[${JSON.stringify(key)}]`;
    return out ? `${out}.${key}` : key;
  }, '');
}
