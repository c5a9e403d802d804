import type { Review, Reviews } from '@flyte-gkp/plan';
import { loadPlatform, type Platform } from '@flyte-gkp/platform';
import { loadProjectFile, type FileSource, type ProjectSpec } from '@flyte-gkp/project-spec';
import { platformTeams, projectReviewers } from '@flyte-gkp/render';
import { projectOfFile } from './compare-stage.js';
import type { GitRepoTree } from './git-tree.js';
import { treeSource } from './read-tree.js';
import { listSpecFiles } from './workspace.js';

/** The spec of project `id` in `files`, if it has one that loads. */
async function specOf(files: FileSource, specFiles: string[], id: string): Promise<ProjectSpec | undefined> {
  const file = specFiles.find((f) => projectOfFile(f) === id);
  if (file === undefined) return undefined;
  const loaded = await loadProjectFile(files, file);
  return loaded.ok ? loaded.value.spec : undefined;
}

/**
 * Stage "reviews" of `plan`: whose approval GitHub will ask for, from what the base branch's
 * `.github/CODEOWNERS` was rendered from (its specs and cluster files): each touched project's reviewers
 * and the platform team; a spec the base does not have falls to the default owner, the platform team.
 * Tenants are told apart by their reviewers: projects of different reviewers make a cross-tenant change.
 */
export async function reviewsOf(
  changed: readonly string[],
  base: GitRepoTree,
  head: FileSource,
  headPlatform: Platform,
): Promise<Reviews> {
  const baseFiles = treeSource(base);
  const basePlatform = await loadPlatform(baseFiles);
  const platform = platformTeams((basePlatform.ok ? basePlatform.platform : headPlatform).clusters);
  const [baseSpecs, headSpecs] = await Promise.all([listSpecFiles(baseFiles), listSpecFiles(head)]);
  const ids = [...new Set(changed.map(projectOfFile).filter((id) => id !== undefined))].sort();
  // The base's specs of the touched projects in one read of git's objects, not one `git cat-file` each.
  const touched = new Set<string | undefined>(ids);
  await base.prefetch(baseSpecs.filter((f) => touched.has(projectOfFile(f))));
  const needed: Review[] = [];
  const tenants = new Set<string>();
  for (const id of ids) {
    const before = await specOf(baseFiles, baseSpecs, id);
    const onboarding = !baseSpecs.some((f) => projectOfFile(f) === id);
    const own = (before ?? (await specOf(head, headSpecs, id)))?.reviewers ?? [];
    tenants.add(own.length ? [...own].sort().join(' ') : `project ${id}`);
    needed.push({
      project: id,
      reviewers: before ? projectReviewers({ spec: before }, platform) : platform,
      onboarding,
    });
  }
  if (changed.some((path) => projectOfFile(path) === undefined))
    needed.push({ project: null, reviewers: platform, onboarding: false });
  return { needed, crossTenant: tenants.size > 1 };
}
