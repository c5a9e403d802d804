/**
 * GitHub's reading of a CODEOWNERS file, for tests: which owners a path gets. Written from GitHub's
 * documentation ("About code owners"), not from gitignore, where the popular npm matchers differ:
 * matching is case-sensitive, the LAST matching line wins, `docs/*` matches the files directly in docs/
 * only, a leading `/` anchors a pattern at the root, a trailing `/` names a folder and everything under
 * it, and a line with no owner leaves the path without one. What GitHub does not support (`!`, `[ ]`,
 * `\` escapes) is refused, so a test never passes on a construct GitHub reads another way.
 */
export interface CodeownersRule {
  pattern: string;
  owners: string[];
  line: number;
  matches(path: string): boolean;
}

const escapeRegExp = (text: string) => text.replace(/[.+^${}()|\\]/g, '\\$&');

function globToRegExp(glob: string): string {
  return glob
    .split(/(\*\*\/|\/\*\*$|\*\*|\*|\?)/)
    .map((part) => {
      if (part === '**/') return '(?:.*/)?';
      if (part === '/**') return '/.*';
      if (part === '**') return '.*';
      if (part === '*') return '[^/]*';
      if (part === '?') return '[^/]';
      return escapeRegExp(part);
    })
    .join('');
}

function compile(pattern: string, line: number): (path: string) => boolean {
  if (/[![\]\\]/.test(pattern))
    throw new Error(`line ${line}: ${pattern} uses a construct GitHub does not support (!, [ ] or \\)`);
  const folderOnly = pattern.endsWith('/');
  const body = folderOnly ? pattern.slice(0, -1) : pattern;
  // As in gitignore: a `/` at the start or in the middle anchors the pattern at the root.
  const anchored = body.includes('/');
  const glob = body.startsWith('/') ? body.slice(1) : body;
  // `docs/*` (and the default `*`) match files, not what is in the folders they match.
  const childrenOnly = glob === '*' || glob.endsWith('/*');
  const under = folderOnly ? '/.*' : childrenOnly ? '' : '(?:/.*)?';
  const regExp = new RegExp(`^${anchored ? '' : '(?:.*/)?'}${globToRegExp(glob)}${under}$`);
  return (path) => regExp.test(path);
}

export function parseCodeowners(text: string): CodeownersRule[] {
  return text.split('\n').flatMap((raw, index) => {
    const line = index + 1;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return [];
    const [pattern, ...rest] = trimmed.split(/\s+/);
    const comment = rest.findIndex((token) => token.startsWith('#'));
    const owners = comment === -1 ? rest : rest.slice(0, comment);
    return [{ pattern, owners, line, matches: compile(pattern, line) }];
  });
}

/** The owners GitHub assigns to a repository path (no leading `/`): the last matching line's, or none. */
export function ownersOf(rules: readonly CodeownersRule[], path: string): string[] {
  const last = rules.findLast((rule) => rule.matches(path));
  return last?.owners ?? [];
}

/** The line GitHub takes for `path`, for messages. */
export const ruleFor = (rules: readonly CodeownersRule[], path: string) => rules.findLast((rule) => rule.matches(path));
