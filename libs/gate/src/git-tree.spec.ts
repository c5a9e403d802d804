import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { git } from '@flyte-gkp/testing';
import { blobId, changedSince, gitTree, resolveCommit, RevisionError } from './git-tree.js';

let root: string;
let commit: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'flyte-gkp-git-tree-'));
  await mkdir(join(root, 'projects'));
  await mkdir(join(root, 'clusters/gkp-dev'), { recursive: true });
  await writeFile(join(root, 'projects/x.yaml'), 'id: x\n');
  await writeFile(join(root, 'clusters/gkp-dev/a.yaml'), 'kind: A\n');
  await symlink('../projects/x.yaml', join(root, 'clusters/gkp-dev/link.yaml'));
  await git(root, 'init', '-q', '-b', 'main');
  await git(root, 'add', '-A');
  await git(root, 'commit', '-q', '-m', 'base');
  commit = await resolveCommit(root, 'main');
  // The working tree moves on; the base must still be read as committed.
  await writeFile(join(root, 'projects/x.yaml'), 'id: x-changed\n');
  await writeFile(join(root, 'projects/new.yaml'), 'id: new\n');
});
afterAll(() => rm(root, { recursive: true, force: true }));

describe('gitTree', () => {
  it('reads entries and contents as the commit holds them, links as links, never the working tree', async () => {
    const tree = await gitTree(root, commit).read(['projects', 'clusters', 'platform']);
    expect([...tree.entries.values()]).toEqual([
      { path: 'clusters', type: 'directory' },
      { path: 'clusters/gkp-dev', type: 'directory' },
      { path: 'clusters/gkp-dev/a.yaml', type: 'file' },
      { path: 'clusters/gkp-dev/link.yaml', type: 'symlink', target: '../projects/x.yaml' },
      { path: 'projects', type: 'directory' },
      { path: 'projects/x.yaml', type: 'file' },
    ]);
    expect(tree.bytes('projects/x.yaml')?.toString()).toBe('id: x\n');
    await tree.prefetch(['clusters/gkp-dev/a.yaml']);
    expect(tree.bytes('clusters/gkp-dev/a.yaml')?.toString()).toBe('kind: A\n');
    expect(tree.bytes('clusters/gkp-dev/link.yaml')).toBeUndefined();
    expect(tree.oid('projects/x.yaml')).toBe(blobId('id: x\n'));
  });

  it('lists what changed since, committed or not, tracked or new', async () => {
    expect(await changedSince(root, commit, ['projects', 'clusters'])).toEqual([
      'projects/new.yaml',
      'projects/x.yaml',
    ]);
  });

  it('refuses a revision that names no commit, or looks like an option, as the user`s error', async () => {
    for (const revision of ['no-such-branch', '--output=/tmp/x', '', `${commit}:projects`]) {
      await expect(resolveCommit(root, revision)).rejects.toBeInstanceOf(RevisionError);
    }
  });
});
