// The onboarding trial of issue 26, replayed: a data scientist adds `churn` (generated, then edited) and
// `fraud` (by hand), making the usual mistakes. Each mistake must be answered in one run, root cause first,
// with a fix that works when followed literally.
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { commitWorkspace, createTempWorkspace, type TempWorkspace } from '@flyte-gkp/testing';

let ws: TempWorkspace;
beforeEach(async () => {
  ws = await createTempWorkspace();
});
afterEach(() => ws.remove());

const write = (file: string, text: string) => writeFile(join(ws.root, file), text);

/** churn as the generator writes it, its quota raised by hand beyond the cluster's ceiling. */
const churn = `# yaml-language-server: $schema=../libs/project-spec/project.schema.json
apiVersion: flytepoc.gkp.io/v1alpha1
kind: FlyteProject
id: churn
displayName: Churn prediction
owners:
  - group: gkp-103020-churn-admins
    role: admin
storage:
  bucket: 103020-flytepoc-churn
  credentialsSecret: mercury-churn
domains:
  d-dev:
    quota: { cpu: "64" }
`;

/** fraud written by hand: an upper-case id and a domain typo. */
const fraud = `apiVersion: flytepoc.gkp.io/v1alpha1
kind: FlyteProject
id: Fraud
displayName: Fraud detection
owners:
  - group: gkp-103020-fraud-admins
    role: admin
domains:
  d-dve: {}
storage:
  bucket: 103020-flytepoc-fraud
  credentialsSecret: mercury-fraud
`;

describe('findings sorted by cause', () => {
  it('puts the quota finding first and folds the drift it causes into one line on the spec', async () => {
    await write('projects/churn.yaml', churn);

    const { exitCode, stdout } = await ws.cli('validate');

    expect(exitCode).toBe(1);
    expect(stdout.split('\n')).toEqual([
      'projects/churn.yaml:14:19 the cpu quota 64 of d-dev is above the ceiling 32 of gkp-dev [quota/ceiling]',
      '  fix: ask for at most 32, or ask the platform team to raise the ceiling',
      'projects/churn.yaml 9 drift finding(s) on clusters/gkp-dev/projects/churn/, .github/CODEOWNERS, ' +
        'clusters/gkp-dev/platform/manifests/project-registration.yaml follow from the findings of this spec above, ' +
        'and are not listed [gate/follows]',
      '  fix: fix the findings above first; then run `npm run render` and commit clusters/gkp-dev/projects/churn/, ' +
        '.github/CODEOWNERS, clusters/gkp-dev/platform/manifests/project-registration.yaml with the spec',
    ]);
  });

  it('lists the drift itself once the spec is clean', async () => {
    await write('projects/churn.yaml', churn.replace('"64"', '"16"'));

    const { stdout } = await ws.cli('validate');

    expect(stdout).toContain('clusters/gkp-dev/projects/churn/manifests/d-dev.yaml missing');
    expect(stdout).not.toContain('[gate/follows]');
  });

  it('reports the schema finding and the lint finding of one spec in the same run', async () => {
    await write('projects/fraud.yaml', fraud);

    const { stdout } = await ws.cli('validate');
    const lines = stdout.split('\n').filter((l) => !l.startsWith(' '));

    expect(lines.slice(0, 2)).toEqual([
      'projects/fraud.yaml:3:5 id is not valid: expected lower-case letters, digits and inner hyphens, starting ' +
        'with a letter (it becomes part of Kubernetes namespace names) [spec/schema]',
      'projects/fraud.yaml:9:3 d-dve is not a domain of the cluster gkp-dev [domains/allowed]',
    ]);
    expect(stdout).toContain('  fix: use one of: d-dev, t-dev, p-dev');
  });

  it('says nothing about a field the schema refused beyond the schema finding', async () => {
    await write('projects/fraud.yaml', fraud.replace('d-dve', 'd-dev'));
    await rm(join(ws.root, 'projects/fraud.yaml'));
    await write('projects/Fraud.yaml', fraud.replace('d-dve', 'd-dev'));

    const { stdout } = await ws.cli('validate');

    // The file name and the id differ in case only: the id's own finding is the cause.
    expect(stdout).toContain('projects/Fraud.yaml:3:5 id is not valid');
    expect(stdout).not.toMatch(/Fraud\.yaml\S* the id Fraud/);
  });
});

describe('a .json spec', () => {
  it('is strict JSON: a trailing comma is refused at the comma, in JSON terms', async () => {
    const y = await readFile(join(ws.root, 'projects/y.json'), 'utf8');
    await write(
      'projects/fraud.json',
      y.replace('"id": "y"', '"id": "fraud"').replace('"mercury-y" }', '"mercury-y" },'),
    );

    const { exitCode, stdout } = await ws.cli('validate', '--project', 'projects/fraud.json');

    expect(exitCode).toBe(1);
    expect(stdout.split('\n').slice(0, 2)).toEqual([
      'projects/fraud.json:13:81 invalid JSON: a comma after the last item (JSON allows no trailing comma) ' +
        '[json/syntax]',
      '  fix: remove this comma',
    ]);
  });

  it('says JSON, not YAML, for a syntax error, at its position', async () => {
    await write('projects/fraud.json', '{\n  "apiVersion": "flytepoc.gkp.io/v1alpha1"\n  "kind": "FlyteProject"\n}\n');

    const { stdout } = await ws.cli('validate', '--project', 'projects/fraud.json');

    expect(stdout).toContain(
      "projects/fraud.json:3:3 invalid JSON: Expected ',' or '}' after property value [json/syntax]",
    );
    expect(stdout).not.toContain('YAML');
  });
});

describe('owner groups', () => {
  it("are checked against the cluster's group naming, with the name to use", async () => {
    await write(
      'projects/fraud.yaml',
      fraud.replace('gkp-103020-fraud-admins', 'fraud-admins').replace('d-dve', 'd-dev'),
    );

    const { exitCode, stdout } = await ws.cli('validate', '--project', 'projects/fraud.yaml');

    expect(exitCode).toBe(1);
    expect(stdout.split('\n').slice(0, 4)).toEqual([
      'projects/fraud.yaml:3:5 id is not valid: expected lower-case letters, digits and inner hyphens, starting ' +
        'with a letter (it becomes part of Kubernetes namespace names) [spec/schema]',
      '  fix: write lower-case letters, digits and inner hyphens, starting with a letter (it becomes part of ' +
        'Kubernetes namespace names)',
      'projects/fraud.yaml:6:12 the owner group fraud-admins does not follow the group naming of gkp-dev: ' +
        'gkp-103020-* [tenancy/owner-group-naming]',
      "  fix: use the team's group named gkp-103020-*, e.g. gkp-103020-fraud-admins",
    ]);
  });
});

describe('a copy of another spec', () => {
  it('is reported on the copy alone, each fix naming a free id', async () => {
    await commitWorkspace(ws.root);
    await write('projects/fraud.json', await readFile(join(ws.root, 'projects/y.json'), 'utf8'));

    const { stdout } = await ws.cli('validate');
    const findings = stdout.split('\n').filter((l) => /^\S/.test(l));

    expect(findings.every((l) => l.startsWith('projects/fraud.json'))).toBe(true);
    expect(stdout).toContain(
      'projects/fraud.json:5:9 the project id is y but the file is named fraud.json [naming/file-name]\n' +
        '  fix: the id y is taken: set id: fraud (the file name)\n' +
        'projects/fraud.json:5:9 the project id y is also the id of projects/y.json [naming/unique]\n' +
        '  fix: give this project an id no spec has: set id: fraud (the file name)\n' +
        'projects/fraud.json:13:26 the bucket 103020-flytepoc-y is also the bucket of projects/y.json ' +
        '[tenancy/bucket]\n' +
        '  fix: use a bucket created for this project alone, e.g. 103020-flytepoc-fraud\n' +
        'projects/fraud.json:13:68 the Secret name mercury-y is also the credentialsSecret of projects/y.json ' +
        '[tenancy/secret-name]\n' +
        "  fix: name the project's own Secret, e.g. mercury-fraud",
    );
  });

  it('is reported on the later name when neither is committed', async () => {
    await write('projects/fraud.json', await readFile(join(ws.root, 'projects/y.json'), 'utf8'));

    const { stdout } = await ws.cli('validate');

    expect(stdout).toContain('projects/y.json:5:9 the project id y is also the id of projects/fraud.json');
    expect(stdout).not.toContain('projects/fraud.json:5:9 the project id y is also');
  });
});

describe('a missing field', () => {
  it("has a fix with a minimal example of the field, in the file's own syntax", async () => {
    await write('projects/fraud.yaml', fraud.replace(/owners:\n( {2}.*\n)+/, '').replace('Fraud', 'fraud'));
    await write(
      'projects/churn.json',
      '{"apiVersion": "flytepoc.gkp.io/v1alpha1", "kind": "FlyteProject", "id": "churn"}',
    );

    const { stdout } = await ws.cli('validate');

    expect(stdout).toContain(
      'projects/fraud.yaml:1:1 the document is missing the required field `owners` [spec/schema]\n' +
        '  fix: add `owners`, e.g. owners: [ { group: gkp-103020-fraud-admins, role: admin } ]',
    );
    expect(stdout).toContain(
      '  fix: add `storage`, e.g. "storage": {"bucket": "103020-flytepoc-churn", "credentialsSecret": "mercury-churn"}',
    );
  });
});

describe('render of a protected namespace removal', () => {
  it('warns with the words of validate --base, against the last commit', async () => {
    await commitWorkspace(ws.root);
    const spec = join(ws.root, 'projects/x.yaml');
    await writeFile(spec, (await readFile(spec, 'utf8')).replace('  t-dev: {}\n', ''));
    const refusal =
      'projects/x.yaml:14:1 domain t-dev removed from its domains: namespace 103020-flytepoc-x-t-dev is protected, ' +
      'so Argo CD will not delete it';

    const render = await ws.cli('render');
    const validate = await ws.cli('validate', '--base', 'HEAD');

    expect(render.exitCode).toBe(0);
    expect(render.stderr).toContain(
      'render: warning: `validate --base HEAD` (and CI, against the target branch) refuses this change:\n' + refusal,
    );
    expect(validate.exitCode).toBe(1);
    expect(validate.stdout).toContain(refusal);
  });
});
