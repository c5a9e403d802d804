import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { logger, type Tree } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { load } from 'js-yaml';
import { parse, parseAllDocuments } from 'yaml';
import { loadProjectText } from '@flyte-gkp/project-spec';
import projectGenerator from './generator';

const repoRoot = fileURLToPath(new URL('../../../../..', import.meta.url));
const platformFiles = ['platform/clusters/gkp-dev.yaml', 'platform/pins.yaml'];

let tree: Tree;
beforeEach(() => {
  tree = createTreeWithEmptyWorkspace();
  for (const file of platformFiles) tree.write(file, readFileSync(`${repoRoot}/${file}`, 'utf8'));
});

const base = { id: 'z', displayName: 'Project Z', ownerGroup: 'gkp-103020-z-admins' };

describe('project generator', () => {
  it('writes a spec that passes the schema, with the defaults a tenant expects', async () => {
    await projectGenerator(tree, base);
    const loaded = loadProjectText('projects/z.yaml', tree.read('projects/z.yaml', 'utf-8')!);
    expect(loaded.ok).toBe(true);
    if (!loaded.ok) return;
    expect(loaded.value.spec.owners).toEqual([{ group: 'gkp-103020-z-admins', role: 'admin' }]);
    expect(loaded.value.spec.storage).toEqual({ bucket: '103020-flytepoc-z', credentialsSecret: 'mercury-z' });
    expect(loaded.value.spec.domains).toBeUndefined();
  });

  it('renders only the new project files plus the project registration that lists it', async () => {
    await projectGenerator(tree, base);
    const changed = tree
      .listChanges()
      .map((c) => c.path)
      .filter(
        (p) => !p.startsWith('platform/') && p !== 'nx.json' && p !== 'package.json' && p !== 'tsconfig.base.json',
      );
    const outside = changed.filter((p) => p !== 'projects/z.yaml' && !p.startsWith('clusters/gkp-dev/projects/z/'));
    // A first project also brings the cluster-wide files; none belongs to another project.
    expect(outside.every((p) => !p.startsWith('clusters/gkp-dev/projects/'))).toBe(true);
    expect(changed).toContain('clusters/gkp-dev/projects/z/manifests/d-dev.yaml');
    const registration = parseAllDocuments(
      tree.read('clusters/gkp-dev/platform/manifests/project-registration.yaml', 'utf-8')!,
    )
      .map((d) => d.toJS())
      .find((o) => o.kind === 'ConfigMap');
    expect(JSON.parse(registration.data['projects.json']).projects.map((p: { id: string }) => p.id)).toEqual(['z']);
  });

  it('adds a second project without touching the first one', async () => {
    await projectGenerator(tree, base);
    const before = tree.read('clusters/gkp-dev/projects/z/manifests/d-dev.yaml', 'utf-8');
    await projectGenerator(tree, {
      ...base,
      id: 'w',
      displayName: 'W',
      ownerGroup: 'gkp-103020-w-admins',
      domains: 'd-dev',
      format: 'json',
    });
    expect(tree.read('clusters/gkp-dev/projects/z/manifests/d-dev.yaml', 'utf-8')).toBe(before);
    expect(tree.exists('clusters/gkp-dev/projects/w/manifests/d-dev.yaml')).toBe(true);
    expect(tree.exists('clusters/gkp-dev/projects/w/manifests/p-dev.yaml')).toBe(false);
    expect(JSON.parse(tree.read('projects/w.json', 'utf-8')!).domains).toEqual({ 'd-dev': {} });
  });

  // Plain, each of these is a number, a boolean, a date, a null or an infinity to YAML 1.1 or 1.2 readers.
  const misread = [
    '0o14',
    '012',
    '0x1F',
    '0b101',
    '1e3',
    '1_000',
    '+12',
    '-0',
    '.5',
    '.inf',
    '-.Inf',
    '.nan',
    'yes',
    'No',
    'on',
    'OFF',
    'y',
    'n',
    'true',
    'False',
    '~',
    'null',
    'NULL',
    '2001-01-01',
    '2001-12-14t21:59:43.10-05:00',
    '12:30',
    '190:20:30',
    '1:2',
    '#1',
    'a: b',
    '- x',
    'trailing ',
  ];
  it.each(misread)(
    'writes the display name and description %j so that YAML 1.1, YAML 1.2 and js-yaml read that very text',
    async (text) => {
      await projectGenerator(tree, { ...base, displayName: text, description: text, skipRender: true });

      const written = tree.read('projects/z.yaml', 'utf-8')!;
      for (const read of [
        parse(written, { version: '1.1' }),
        parse(written, { version: '1.2' }),
        parse(written, { version: '1.2', schema: 'yaml-1.1' }),
        load(written),
      ]) {
        expect([read.displayName, read.description]).toEqual([text, text]);
        expect(read.storage.bucket).toBe('103020-flytepoc-z');
      }
      const loaded = loadProjectText('projects/z.yaml', written);
      expect(loaded.ok && loaded.value.spec.displayName, 'the gate reads it as written').toBe(text);
    },
  );

  it('refuses a project that already exists, whatever its file format', async () => {
    await projectGenerator(tree, { ...base, format: 'json' });
    await expect(projectGenerator(tree, base)).rejects.toThrow(
      'projects/z.json:1:1 the project z exists already [naming/unique]\n' +
        '  fix: edit projects/z.json instead of generating the project again, or choose another id',
    );
  });

  it('refuses options the gate would reject, naming the rule and the position', async () => {
    await expect(projectGenerator(tree, { ...base, domains: 'd-dev,x-dev' })).rejects.toThrow(
      /projects\/z\.yaml:\d+:\d+ .*\[domains\/allowed\]/,
    );
    await expect(projectGenerator(tree, { ...base, ownerGroup: 'has space' })).rejects.toThrow(
      /owners\[0\]\.group .*\[spec\/schema\]/,
    );
    expect(tree.exists('projects/z.yaml')).toBe(false);
  });

  it('writes the reviewers given as GitHub team handles, and refuses one that is not a team at its line', async () => {
    await projectGenerator(tree, { ...base, reviewers: '@acme/team-z, @acme/ml_ops' });
    const loaded = loadProjectText('projects/z.yaml', tree.read('projects/z.yaml', 'utf-8')!);
    expect(loaded.ok && loaded.value.spec.reviewers).toEqual(['@acme/team-z', '@acme/ml_ops']);
    tree.delete('projects/z.yaml');
    await expect(projectGenerator(tree, { ...base, reviewers: 'team-z' })).rejects.toThrow(
      /projects\/z\.yaml:\d+:\d+ .*reviewers\[0\] .*\[spec\/schema\]/,
    );
  });

  it("answers an upper-case id with the gate's own findings, every one of the spec, and writes nothing", async () => {
    const refusal = projectGenerator(tree, {
      ...base,
      id: 'Churn',
      displayName: 'Churn prediction',
      ownerGroup: 'churn-admins',
    });

    await expect(refusal).rejects.toThrow(
      'nothing written: the new spec would not pass the gate (`npm run validate` says the same):\n' +
        'projects/Churn.yaml:5:5 id is not valid: expected lower-case letters, digits and inner hyphens, starting ' +
        'with a letter (it becomes part of Kubernetes namespace names) [spec/schema]\n' +
        '  fix: write lower-case letters, digits and inner hyphens, starting with a letter (it becomes part of ' +
        'Kubernetes namespace names)\n' +
        'projects/Churn.yaml:8:12 the owner group churn-admins does not follow the group naming of gkp-dev: ' +
        'gkp-103020-* [tenancy/owner-group-naming]\n' +
        "  fix: use the team's group named gkp-103020-*, e.g. gkp-103020-churn-admins",
    );
    await expect(refusal).rejects.not.toThrow(/should match the pattern|does not match the schema/);
    expect(tree.exists('projects/Churn.yaml')).toBe(false);
  });

  it('refuses an id that is no file name without writing anywhere', async () => {
    await expect(projectGenerator(tree, { ...base, id: '../z' })).rejects.toThrow(/id is not valid.*\[spec\/schema\]/);
    expect(tree.listChanges().some((c) => c.path.includes('z.yaml'))).toBe(false);
  });

  it('says "would write" on a dry run, and that the files are listed below', async () => {
    const said: string[] = [];
    const info = vi.spyOn(logger, 'info').mockImplementation((message: string) => void said.push(message));
    const argv = process.argv;
    process.argv = [...argv, '--dry-run'];
    try {
      const written = await projectGenerator(tree, base);
      expect(said).toEqual([
        "Dry run: z passes the gate's schema and lint; it would write its spec and rendered files, listed below " +
          '(CREATE/UPDATE); nothing is written. Run it again without --dry-run, then run `npm run validate` and open ' +
          'a pull request.',
      ]);
      expect(said.join('\n')).not.toContain('Onboarded');
      // Nx runs the returned step only once it has written the files.
      await written();
      expect(said.at(-1)).toBe(
        'Onboarded z: wrote the files listed above; run `npm run validate` (kubeconform and drift) and open a pull ' +
          'request.',
      );
    } finally {
      process.argv = argv;
      info.mockRestore();
    }
  });

  it('writes only the spec with --skipRender', async () => {
    await projectGenerator(tree, { ...base, skipRender: true });
    expect(tree.exists('projects/z.yaml')).toBe(true);
    expect(tree.exists('clusters/gkp-dev/projects/z')).toBe(false);
  });

  it(
    'writes nothing and names the findings when another spec does not load, ' +
      'and never touches another tenant`s output',
    async () => {
      await projectGenerator(tree, base);
      const output = 'clusters/gkp-dev/projects/z/application.yaml';
      const values = 'clusters/gkp-dev/platform/flyte-values.yaml';
      const before = new Map([output, values, 'projects/z.yaml'].map((f) => [f, tree.read(f, 'utf-8')]));
      tree.write('projects/z.yaml', `${tree.read('projects/z.yaml', 'utf-8')}owners: [\n`);

      await expect(
        projectGenerator(tree, { ...base, id: 'w', displayName: 'W', ownerGroup: 'gkp-103020-w-admins' }),
      ).rejects.toThrow(/nothing written[\s\S]*projects\/z\.yaml:\d+:\d+ .*\[yaml\/syntax\]/);

      expect(tree.exists('projects/w.yaml')).toBe(false);
      expect(tree.exists('clusters/gkp-dev/projects/w')).toBe(false);
      expect(tree.read(output, 'utf-8'), 'z`s output is still there').toBe(before.get(output));
      expect(tree.read(values, 'utf-8'), 'z is still in the Flyte values').toBe(before.get(values));
    },
  );

  it(
    'does not rewrite another tenant`s output that differs from a render: ' + 'that is for validate to report',
    async () => {
      await projectGenerator(tree, base);
      const edited = 'clusters/gkp-dev/projects/z/manifests/d-dev.yaml';
      tree.write(edited, 'edited by hand\n');
      tree.write('clusters/gkp-dev/projects/z/extra.yaml', 'left behind\n');

      await projectGenerator(tree, { ...base, id: 'w', displayName: 'W', ownerGroup: 'gkp-103020-w-admins' });

      expect(tree.read(edited, 'utf-8')).toBe('edited by hand\n');
      expect(tree.read('clusters/gkp-dev/projects/z/extra.yaml', 'utf-8')).toBe('left behind\n');
      expect(tree.exists('clusters/gkp-dev/projects/w/application.yaml')).toBe(true);
    },
  );
});
