import { describe, expect, it } from 'vitest';
import { ownersOf, parseCodeowners } from './codeowners.js';

/** The owners of `path` under a CODEOWNERS of the given lines. */
const owners = (lines: string[], path: string) => ownersOf(parseCodeowners(lines.join('\n')), path);

// Each case is an example of GitHub's documentation ("About code owners", example CODEOWNERS file), with
// what the documentation says it does.
describe("the CODEOWNERS matcher on GitHub's documented examples", () => {
  it('`*` makes the default owners of everything, at any depth', () => {
    expect(owners(['*       @global-owner1 @global-owner2'], 'README.md')).toEqual([
      '@global-owner1',
      '@global-owner2',
    ]);
    expect(owners(['* @global-owner1'], 'src/deep/main.go')).toEqual(['@global-owner1']);
  });

  it('the last matching pattern takes precedence: a change to JS files only asks @js-owner', () => {
    const file = ['*       @global-owner1 @global-owner2', '*.js    @js-owner #This is an inline comment.'];
    expect(owners(file, 'src/app.js')).toEqual(['@js-owner']);
    expect(owners(file, 'src/app.css')).toEqual(['@global-owner1', '@global-owner2']);
  });

  it('e-mail addresses and teams are owners too', () => {
    expect(owners(['*.go docs@example.com'], 'cmd/main.go')).toEqual(['docs@example.com']);
    expect(owners(['*.txt @octo-org/octocats'], 'notes/a.txt')).toEqual(['@octo-org/octocats']);
  });

  it('/build/logs/ owns build/logs at the root and everything below, not a build/logs elsewhere', () => {
    const file = ['/build/logs/ @doctocat'];
    expect(owners(file, 'build/logs/today.log')).toEqual(['@doctocat']);
    expect(owners(file, 'build/logs/2024/01/today.log')).toEqual(['@doctocat']);
    expect(owners(file, 'src/build/logs/today.log')).toEqual([]);
  });

  it('docs/* matches docs/getting-started.md, not docs/build-app/troubleshooting.md', () => {
    expect(owners(['docs/* docs@example.com'], 'docs/getting-started.md')).toEqual(['docs@example.com']);
    expect(owners(['docs/* docs@example.com'], 'docs/build-app/troubleshooting.md')).toEqual([]);
  });

  it('apps/ owns any file in an apps directory anywhere in the repository', () => {
    expect(owners(['apps/ @octocat'], 'apps/web/index.ts')).toEqual(['@octocat']);
    expect(owners(['apps/ @octocat'], 'services/apps/api/main.go')).toEqual(['@octocat']);
    expect(owners(['apps/ @octocat'], 'apps.md')).toEqual([]);
  });

  it('/docs/ owns the docs directory at the root and its subdirectories', () => {
    expect(owners(['/docs/ @doctocat'], 'docs/a/b/c.md')).toEqual(['@doctocat']);
    expect(owners(['/docs/ @doctocat'], 'src/docs/c.md')).toEqual([]);
  });

  it('/scripts/ with two owners: either may approve', () => {
    expect(owners(['/scripts/ @doctocat @octocat'], 'scripts/run.sh')).toEqual(['@doctocat', '@octocat']);
  });

  it('**/logs owns /build/logs, /scripts/logs and /deeply/nested/logs', () => {
    for (const path of ['build/logs/a', 'scripts/logs/b', 'deeply/nested/logs/c', 'logs/d'])
      expect(owners(['**/logs @octocat'], path), path).toEqual(['@octocat']);
  });

  it('/apps/github with no owner leaves that subdirectory without one; a later owner gives it one', () => {
    expect(owners(['/apps/ @octocat', '/apps/github'], 'apps/github/main.go')).toEqual([]);
    expect(owners(['/apps/ @octocat', '/apps/github'], 'apps/web/main.go')).toEqual(['@octocat']);
    expect(owners(['/apps/ @octocat', '/apps/github @doctocat'], 'apps/github/main.go')).toEqual(['@doctocat']);
  });

  it('is case-sensitive, as git paths are', () => {
    expect(owners(['/Docs/ @doctocat'], 'docs/a.md')).toEqual([]);
  });

  it('refuses what GitHub does not support: `!` negation, `[ ]` ranges, `\\` escapes', () => {
    for (const line of ['!*.js @x', '*.[ch] @x', '\\#file @x'])
      expect(() => parseCodeowners(line), line).toThrow(/GitHub does not support/);
  });
});
