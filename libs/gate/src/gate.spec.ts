import { execFileSync } from 'node:child_process';
import { mkdir, readdir, readFile, readlink, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readTree } from '@flyte-gkp/output';
import { createTempWorkspace, type TempWorkspace } from '@flyte-gkp/testing';
import { renderWorkspace, runGate } from './gate.js';

let ws: TempWorkspace;
beforeEach(async () => {
  ws = await createTempWorkspace();
});
afterEach(() => ws.remove());

/** Every entry under `dir` but the linked node_modules/.tools: path → content, link target or 'dir'. */
async function snapshot(dir: string): Promise<Map<string, string>> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const result = new Map<string, string>();
  for (const e of entries) {
    const path = relative(dir, join(e.parentPath, e.name));
    if (/^(node_modules|\.tools)(\/|$)/.test(path)) continue;
    result.set(
      path,
      e.isSymbolicLink()
        ? `link:${await readlink(join(dir, path))}`
        : e.isDirectory()
          ? 'dir'
          : e.isFile()
            ? await readFile(join(dir, path), 'utf8')
            : 'other',
    );
  }
  return result;
}

const edit = async (file: string, change: (text: string) => string) =>
  writeFile(join(ws.root, file), change(await readFile(join(ws.root, file), 'utf8')));

describe('drift check', () => {
  it('passes on the committed examples', async () => {
    expect((await runGate(ws.root)).diagnostics).toEqual([]);
  });

  it('names a hand-edited file, shows the diff back to the render and the command that fixes it', async () => {
    await edit('clusters/gkp-dev/projects/x/manifests/d-dev.yaml', (t) => t.replace('pods: "100"', 'pods: "999"'));
    const [finding, ...rest] = (await runGate(ws.root)).diagnostics;
    expect(rest).toEqual([]);
    expect(finding).toMatchObject({ file: 'clusters/gkp-dev/projects/x/manifests/d-dev.yaml', rule: 'drift' });
    expect(finding.detail).toContain('-    pods: "999"');
    expect(finding.detail).toContain('+    pods: "100"');
    expect(finding.fix).toContain('npm run render');
  });

  it('flags files nothing renders, and a folder of a cluster that no longer exists', async () => {
    await writeFile(join(ws.root, 'clusters/gkp-dev/projects/x/manifests/extra.yaml'), 'kind: ConfigMap\n');
    await mkdir(join(ws.root, 'clusters/gkp-old'), { recursive: true });
    const files = (await runGate(ws.root)).diagnostics.map((d) => [d.file, d.rule]);
    expect(files).toEqual([
      ['clusters/gkp-dev/projects/x/manifests/extra.yaml', 'drift'],
      ['clusters/gkp-old', 'drift'],
    ]);
  });
});

describe('scope', () => {
  it('reports on the focused spec and the files it owns, so a pull request sees its own problems', async () => {
    await edit('projects/y.json', (t) => t.replace('"role": "view"', '"role": "owner"'));
    const forX = (await runGate(ws.root, { focus: ['projects/x.yaml'] })).diagnostics;
    expect(forX.filter((d) => d.file === 'projects/y.json' || d.file.includes('/projects/y/'))).toEqual([]);
    const forY = (await runGate(ws.root, { focus: ['projects/y.json'] })).diagnostics;
    // Its committed files cannot be compared with a render it does not have: the schema error comes first.
    expect(forY.map((d) => `${d.file}:${d.line}:${d.column} ${d.rule}`)).toEqual(['projects/y.json:10:46 spec/schema']);
  });

  it('leaves the files of a removed spec to the cluster-wide check', async () => {
    await rm(join(ws.root, 'projects/y.json'));
    const shared = (await runGate(ws.root, { focus: [] })).diagnostics;
    expect(shared.map((d) => d.file)).toContain('clusters/gkp-dev/projects/y/application.yaml');
    expect(
      (await runGate(ws.root, { focus: ['projects/x.yaml'] })).diagnostics.filter((d) =>
        d.file.includes('/projects/y/'),
      ),
    ).toEqual([]);
  });
});

describe('workspace files', () => {
  it('reports a file in projects/ that is not a spec instead of skipping it', async () => {
    await writeFile(join(ws.root, 'projects/z.YAML'), 'id: z\n');
    const findings = (await runGate(ws.root)).diagnostics;
    expect(findings.map((d) => [d.file, d.rule])).toEqual([['projects/z.YAML', 'naming/file-name']]);
  });

  it(
    'reports every entry of projects/ that is no spec: a link, ' +
      'a folder (also one named like a spec), a FIFO, a spec in a folder',
    async () => {
      await symlink('x.yaml', join(ws.root, 'projects/linked.yaml'));
      await mkdir(join(ws.root, 'projects/z.yaml'));
      await mkdir(join(ws.root, 'projects/team'));
      await writeFile(join(ws.root, 'projects/team/w.yaml'), 'id: w\n');
      execFileSync('mkfifo', [join(ws.root, 'projects/pipe.yaml')]);

      const findings = (await runGate(ws.root, { kubeconform: false })).diagnostics;

      expect(findings.map((d) => [d.file, d.rule])).toEqual([
        ['projects/linked.yaml', 'tree/symlink'],
        ['projects/pipe.yaml', 'tree/special-file'],
        ['projects/team', 'tree/folder'],
        ['projects/team/w.yaml', 'tree/folder'],
        ['projects/z.yaml', 'tree/folder'],
      ]);
      // A stray is nobody's spec: the shared check reports it, a check of one spec does not.
      expect((await runGate(ws.root, { focus: [], kubeconform: false })).diagnostics).toHaveLength(5);
      expect((await runGate(ws.root, { focus: ['projects/x.yaml'], kubeconform: false })).diagnostics).toEqual([]);
    },
  );
});

describe('the tree under clusters/: what Argo CD could read', () => {
  it('refuses a link in place of a rendered file, and never reads through it', async () => {
    const app = 'clusters/gkp-dev/projects/x/application.yaml';
    await writeFile(join(ws.root, 'docs-app.yaml'), await readFile(join(ws.root, app), 'utf8'));
    await rm(join(ws.root, app));
    await symlink('../../../../docs-app.yaml', join(ws.root, app));

    const findings = (await runGate(ws.root)).diagnostics;

    expect(findings.map((d) => [d.file, d.rule])).toEqual([
      [app, 'tree/symlink'],
      [app, 'drift'],
    ]);
    expect(findings.find((d) => d.rule === 'tree/symlink')?.message).toContain('../../../../docs-app.yaml');
  });

  it(
    'reports a committed plan or staging of a render, ' +
      'and any other stray beside the cluster folders, and changes nothing',
    async () => {
      const plan = {
        folders: [
          {
            name: 'gkp-dev',
            written: [],
            removed: ['projects/x/application.yaml', '../../../victim.txt'],
            whole: false,
          },
        ],
      };
      await writeFile(join(ws.root, 'clusters/.render-plan.json'), JSON.stringify(plan));
      await mkdir(join(ws.root, 'clusters/.render/staging'), { recursive: true });
      await writeFile(join(ws.root, 'clusters/.render/plan.json'), JSON.stringify(plan));
      await writeFile(join(ws.root, 'clusters/notes.md'), 'hello\n');
      const before = await snapshot(ws.root);

      const findings = (await runGate(ws.root)).diagnostics;

      expect(findings.map((d) => [d.file, d.rule])).toEqual([
        ['clusters/.render', 'tree/render-state'],
        ['clusters/.render-plan.json', 'tree/render-state'],
        ['clusters/notes.md', 'tree/stray'],
      ]);
      expect(await snapshot(ws.root)).toEqual(before);
    },
  );
});

describe('render', () => {
  it('writes nothing when any spec fails: clusters/ stays exactly as it was', async () => {
    const before = await readTree(ws.root, 'clusters');
    await edit('projects/x.yaml', (t) => t.replace('role: edit', 'role: boss'));
    await writeFile(
      join(ws.root, 'projects/new.yaml'),
      (await readFile(join(ws.root, 'projects/x.yaml'), 'utf8')).replace('id: x', 'id: new'),
    );
    const result = await renderWorkspace(ws.root);
    expect(result.written).toEqual([]);
    expect(result.diagnostics.map((d) => d.rule)).toContain('spec/schema');
    expect(await readTree(ws.root, 'clusters')).toEqual(before);
  });

  it('removes the files of a removed spec and nothing else', async () => {
    const before = await readTree(ws.root, 'clusters');
    await rm(join(ws.root, 'projects/y.json'));
    expect((await renderWorkspace(ws.root)).written).toEqual(['gkp-dev']);
    const after = await readTree(ws.root, 'clusters');
    const gone = [...before.keys()].filter((p) => !after.has(p));
    expect(gone.length).toBeGreaterThan(0);
    expect(gone.every((p) => p.startsWith('clusters/gkp-dev/projects/y/'))).toBe(true);
    const changed = [...after.keys()].filter((p) => after.get(p) !== before.get(p));
    // The one cluster-wide file that lists the projects: the project registration, not the chart's input.
    expect(changed).toEqual(['clusters/gkp-dev/platform/manifests/project-registration.yaml']);
  });

  it(
    'writes nothing when kubeconform rejects a rendered file, ' + 'whether the render changed that file or not',
    async () => {
      // A toolchain of its own whose LimitRange schema rejects every LimitRange the renderer writes.
      const tools = join(ws.root, '.tools');
      const real = await realpath(tools);
      const schemas = 'schemas/kubernetes/v1.21.0-local-strict';
      await rm(tools);
      await mkdir(join(tools, schemas), { recursive: true });
      await symlink(join(real, 'bin'), join(tools, 'bin'));
      await symlink(join(real, 'charts'), join(tools, 'charts'));
      await symlink(join(real, 'schemas/argo-cd'), join(tools, 'schemas/argo-cd'));
      await symlink(join(real, 'schemas/external-secrets'), join(tools, 'schemas/external-secrets'));
      for (const name of await readdir(join(real, schemas)))
        if (name !== 'limitrange-v1.json') await symlink(join(real, schemas, name), join(tools, schemas, name));
      await writeFile(
        join(tools, schemas, 'limitrange-v1.json'),
        JSON.stringify({ type: 'object', required: ['approvedByPlatformTeam'] }),
      );
      await writeFile(
        join(tools, schemas, '.stamp'),
        'kubernetes-validate==1.21.0 local-refs, LimitRange made stricter\n',
      );
      await edit('projects/x.yaml', (t) => t.replace(/^displayName: .*$/m, 'displayName: Renamed'));
      const before = await readTree(ws.root, 'clusters');

      const result = await renderWorkspace(ws.root);

      expect(result.written).toEqual([]);
      const rejected = [...new Set(result.diagnostics.filter((d) => d.rule === 'kubeconform').map((d) => d.file))];
      // x's files changed (checked where staged), y's did not (checked as committed): both are refused.
      expect(rejected).toEqual(
        expect.arrayContaining([
          'clusters/gkp-dev/projects/x/manifests/d-dev.yaml',
          'clusters/gkp-dev/projects/y/manifests/d-dev.yaml',
        ]),
      );
      expect(result.diagnostics.find((d) => d.rule === 'kubeconform')?.message).toMatch(
        /^LimitRange .*does not match the Kubernetes schema/,
      );
      expect(await readTree(ws.root, 'clusters')).toEqual(before);
    },
  );

  it('refuses to write when the tree holds a link: a linked folder is never written through', async () => {
    // projects/x/manifests -> ../y/manifests: writing x's manifests there would overwrite y's.
    await rm(join(ws.root, 'clusters/gkp-dev/projects/x/manifests'), { recursive: true });
    await symlink('../y/manifests', join(ws.root, 'clusters/gkp-dev/projects/x/manifests'));
    await edit('projects/x.yaml', (t) => t.replace(/^displayName: .*$/m, 'displayName: Renamed'));
    const before = await snapshot(join(ws.root, 'clusters'));

    const result = await renderWorkspace(ws.root);

    expect(result.written).toEqual([]);
    expect(result.diagnostics.map((d) => [d.file, d.rule])).toEqual([
      ['clusters/gkp-dev/projects/x/manifests', 'tree/symlink'],
    ]);
    expect(await snapshot(join(ws.root, 'clusters'))).toEqual(before);
  });

  it('never applies a committed .render/ nor a plan, and leaves the checkout as it was', async () => {
    await mkdir(join(ws.root, 'clusters/.render'));
    await writeFile(join(ws.root, 'clusters/.render/lock.json'), JSON.stringify({ pid: 1, dev: '1', ino: '1' }));
    await writeFile(
      join(ws.root, 'clusters/.render/plan.json'),
      JSON.stringify({ folders: [{ name: 'gkp-dev', staged: false }] }),
    );
    const before = await snapshot(ws.root);

    const result = await renderWorkspace(ws.root);

    expect(result.diagnostics.map((d) => [d.file, d.rule])).toEqual([['clusters/.render', 'tree/render-state']]);
    expect(await snapshot(ws.root)).toEqual(before);
  });

  it('runs one at a time: a second render at once fails with a clear message, the first completes', async () => {
    await edit('projects/x.yaml', (t) => t.replace(/^displayName: .*$/m, 'displayName: Renamed'));
    const results = await Promise.allSettled([renderWorkspace(ws.root), renderWorkspace(ws.root)]);

    // Whichever takes the lock first writes; the other stops at once, saying why.
    const done = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value.written] : []));
    const refused = results.flatMap((r) => (r.status === 'rejected' ? [String(r.reason)] : []));
    expect(done).toEqual([['gkp-dev']]);
    expect(refused).toEqual([expect.stringMatching(/another render \(pid \d+\) is writing clusters\//)]);
    expect((await runGate(ws.root)).diagnostics).toEqual([]);
  });

  it('is byte-identical on a second run', async () => {
    await renderWorkspace(ws.root);
    const first = await readTree(ws.root, 'clusters');
    await renderWorkspace(ws.root);
    expect(await readTree(ws.root, 'clusters')).toEqual(first);
  });
});
