// The links of the repository's Markdown, checked as GitHub renders them: a relative link names a file of the
// repository, its #anchor a heading of that file, and nothing but http(s) leaves the repository.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';

/** Fenced code blocks hold examples: neither links nor headings. */
const withoutFences = (markdown: string) => markdown.replace(/^ *(```|~~~)[^\n]*\n[\s\S]*?^ *\1[^\n]*$/gm, '');

/** Inline code spans hold examples too. */
const withoutCode = (markdown: string) => withoutFences(markdown).replace(/`[^`\n]*`/g, '');

/** Every link target of a Markdown text: inline links and images, and reference definitions. */
export function linkTargets(markdown: string): string[] {
  const text = withoutCode(markdown);
  const inline = [...text.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1]);
  const references = [...text.matchAll(/^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/gm)].map((m) => m[1]);
  return [...inline, ...references];
}

/** GitHub's anchor of a heading (github-slugger): its text lower-cased, punctuation dropped, spaces as hyphens. */
export function githubSlug(heading: string): string {
  const text = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/[`*_]{1,2}([^`*_]+)[`*_]{1,2}/g, '$1')
    .replace(/<[^>]+>/g, '');
  return text
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

/** The anchors of a Markdown file's headings; a repeated heading gets -1, -2 as on GitHub. */
export function anchorsOf(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  const text = withoutFences(markdown);
  for (const [, heading] of text.matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const slug = githubSlug(heading);
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count ? `${slug}-${count}` : slug);
  }
  return anchors;
}

/** What is wrong with each link of one Markdown file of the repository, as `file: link: problem`. */
export function checkLinks(root: string, file: string): string[] {
  const source = join(root, file);
  const problems: string[] = [];
  const report = (target: string, problem: string) => problems.push(`${file}: link ${target}: ${problem}`);
  for (const target of linkTargets(readFileSync(source, 'utf8'))) {
    if (/^https?:\/\//i.test(target)) continue;
    if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('//')) {
      report(target, 'leaves the repository: only http(s) links may');
      continue;
    }
    const [path, anchor] = target.split('#', 2) as [string, string | undefined];
    const resolvedPath = path ? resolve(dirname(source), decodeURIComponent(path)) : source;
    const inside = relative(root, resolvedPath);
    if (isAbsolute(path) || inside === '..' || inside.startsWith(`..${sep}`)) {
      report(target, 'points outside the repository');
      continue;
    }
    if (!existsSync(resolvedPath)) {
      report(target, `no such file ${inside.split(sep).join('/')}`);
      continue;
    }
    if (anchor === undefined) continue;
    if (statSync(resolvedPath).isDirectory() || !resolvedPath.endsWith('.md')) {
      report(target, 'an anchor into something that is not a Markdown file');
      continue;
    }
    if (!anchorsOf(readFileSync(resolvedPath, 'utf8')).has(decodeURIComponent(anchor)))
      report(target, `no heading with the anchor #${anchor} in ${inside.split(sep).join('/') || file}`);
  }
  return problems;
}
