import { readFileSync } from 'node:fs';
import { readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createTempWorkspace, ownersOf, parseCodeowners, repoRoot, type TempWorkspace } from '@flyte-gkp/testing';
import { renderWorkspace, runGate } from './gate.js';

// The teams the example specs and the cluster file name, read from them (not from the rendered file).
const clusterFile = parse(readFileSync(join(repoRoot, 'platform/clusters/gkp-dev.yaml'), 'utf8'));
const platformTeam: string = clusterFile.repo.platformTeam;
const xReviewers: string[] = parse(readFileSync(join(repoRoot, 'projects/x.yaml'), 'utf8')).reviewers;
const yReviewers: string[] = JSON.parse(readFileSync(join(repoRoot, 'projects/y.json'), 'utf8')).reviewers;

const codeowners = (root: string) => parseCodeowners(readFileSync(join(root, '.github/CODEOWNERS'), 'utf8'));

describe('the committed .github/CODEOWNERS, read with GitHub rules', () => {
  const rules = codeowners(repoRoot);

  it("gives each project's spec and rendered folder to its reviewers and the platform team", () => {
    expect(ownersOf(rules, 'projects/x.yaml')).toEqual([...xReviewers, platformTeam]);
    expect(ownersOf(rules, 'projects/y.json')).toEqual([...yReviewers, platformTeam]);
    expect(xReviewers).not.toEqual(yReviewers);
    for (const file of ['application.yaml', 'manifests/d-dev.yaml', 'client/flytekit.config'])
      expect(ownersOf(rules, `clusters/gkp-dev/projects/x/${file}`), file).toEqual([...xReviewers, platformTeam]);
  });

  it('leaves a new spec to the default owner, the platform team, who approves the onboarding', () => {
    expect(ownersOf(rules, 'projects/z.yaml')).toEqual([platformTeam]);
    expect(ownersOf(rules, 'clusters/gkp-dev/projects/z/application.yaml')).toEqual([platformTeam]);
  });

  it("gives the gate's code, CI, the platform, the root app and the shared files to the platform team only", () => {
    for (const path of [
      'libs/gate/src/gate.ts',
      'tools/cli/main.ts',
      '.ci/run',
      '.github/CODEOWNERS',
      '.github/workflows/validate.yml',
      'platform/clusters/gkp-dev.yaml',
      'clusters/gkp-dev/root-app.yaml',
      'clusters/gkp-dev/platform/flyte-values.yaml',
      'package.json',
    ])
      expect(ownersOf(rules, path), path).toEqual([platformTeam]);
  });

  it('uses only constructs GitHub reads one way: anchored paths, owners only after a pattern', () => {
    for (const rule of rules) {
      expect(rule.pattern === '*' || /^\/[a-z0-9./-]+$/.test(rule.pattern), rule.pattern).toBe(true);
      expect(rule.owners.length, rule.pattern).toBeGreaterThan(0);
      for (const owner of rule.owners) expect(owner, rule.pattern).toMatch(/^@[^#\s]+\/[^#\s]+$/);
    }
  });
});

describe('CODEOWNERS in the gate', () => {
  let ws: TempWorkspace;
  beforeEach(async () => {
    ws = await createTempWorkspace();
  });
  afterEach(() => ws.remove());
  const gate = async () => (await runGate(ws.root, { kubeconform: false })).diagnostics;
  const file = join('.github', 'CODEOWNERS');

  it('reports a hand edit, a missing file and a link as findings', async () => {
    await writeFile(join(ws.root, file), `${await readFile(join(ws.root, file), 'utf8')}/projects/ @acme/y\n`);
    expect(await gate()).toEqual([
      expect.objectContaining({ file: '.github/CODEOWNERS', rule: 'drift', message: expect.stringMatching(/differs/) }),
    ]);
    await rm(join(ws.root, file));
    expect(await gate()).toEqual([
      expect.objectContaining({ file: '.github/CODEOWNERS', rule: 'drift', message: expect.stringMatching(/missing/) }),
    ]);
    await symlink(join(repoRoot, file), join(ws.root, file));
    expect(await gate()).toEqual([
      expect.objectContaining({
        file: '.github/CODEOWNERS',
        rule: 'tree/symlink',
        fix: expect.stringMatching(/render/),
      }),
    ]);
  });

  it('refuses to render without a platform team, at the cluster file', async () => {
    const cluster = join(ws.root, 'platform/clusters/gkp-dev.yaml');
    await writeFile(cluster, (await readFile(cluster, 'utf8')).replace(/^ {2}platformTeam: .*\n/m, ''));
    const result = await renderWorkspace(ws.root);
    expect(result.written).toEqual([]);
    expect(result.diagnostics).toEqual([
      expect.objectContaining({ file: 'platform/clusters/gkp-dev.yaml', rule: 'codeowners/platform-team' }),
    ]);
  });

  it('render writes a new project into it: the new spec and its folder to its reviewers', async () => {
    const spec = (await readFile(join(ws.root, 'projects/x.yaml'), 'utf8'))
      .replace('id: x', 'id: z')
      .replace(/x-|-x\b/g, (m) => m.replace('x', 'z'))
      .replace(/reviewers: .*/, 'reviewers: ["@acme/team-z"]');
    await writeFile(join(ws.root, 'projects/z.yaml'), spec);
    const result = await renderWorkspace(ws.root);
    expect(result.diagnostics).toEqual([]);
    expect(result.changed).toContain('.github/CODEOWNERS');
    const rules = codeowners(ws.root);
    expect(ownersOf(rules, 'projects/z.yaml')).toEqual(['@acme/team-z', platformTeam]);
    expect(ownersOf(rules, 'clusters/gkp-dev/projects/z/manifests/t-dev.yaml')).toEqual(['@acme/team-z', platformTeam]);
    expect(ownersOf(rules, 'projects/x.yaml')).toEqual([...xReviewers, platformTeam]);
    expect((await runGate(ws.root, { kubeconform: false })).diagnostics).toEqual([]);
  });
});
