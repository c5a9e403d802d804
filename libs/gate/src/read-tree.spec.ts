import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { diskTree, treeSource } from './read-tree.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'read-tree-'));
});
afterEach(() => rm(root, { recursive: true, force: true }));

describe('read tree', () => {
  it('lists every entry with its own type, never following a link nor opening a FIFO', async () => {
    await mkdir(join(root, 'projects/team'), { recursive: true });
    await mkdir(join(root, 'elsewhere'));
    await writeFile(join(root, 'elsewhere/secret.yaml'), 'not ours\n');
    await writeFile(join(root, 'projects/x.yaml'), 'id: x\n');
    await symlink('../elsewhere', join(root, 'projects/linked'));
    await symlink('../elsewhere/secret.yaml', join(root, 'projects/l.yaml'));
    execFileSync('mkfifo', [join(root, 'projects/pipe.yaml')]);

    const tree = await diskTree(root).read(['projects', 'clusters']);

    expect([...tree.entries.values()]).toEqual([
      { path: 'projects', type: 'directory' },
      { path: 'projects/l.yaml', type: 'symlink', target: '../elsewhere/secret.yaml' },
      { path: 'projects/linked', type: 'symlink', target: '../elsewhere' },
      { path: 'projects/pipe.yaml', type: 'other' },
      { path: 'projects/team', type: 'directory' },
      { path: 'projects/x.yaml', type: 'file' },
    ]);
    expect(tree.bytes('projects/x.yaml')?.toString()).toBe('id: x\n');
    expect(tree.bytes('projects/l.yaml'), 'a link is never read through').toBeUndefined();
    expect(await treeSource(tree).list('projects'), 'the loaders see regular files only').toEqual(['x.yaml']);
  });
});
