import type { LoadedCluster } from '@flyte-gkp/platform';
import { clusterPaths } from './argocd.js';
import { projectOnCluster } from './names.js';
import type { ProjectInput } from './render.js';
import { header } from './serialize.js';

/** Where GitHub reads the review rule of the repository's default branch (one of its three places). */
export const codeownersPath = '.github/CODEOWNERS';

/**
 * Folders of the repository no spec may ever own: the gate's code, its CI, the platform's own files and
 * this file. Written after every project's lines: GitHub takes the LAST line that matches a path, so
 * nothing a spec brings can come after them.
 */
const platformOnlyFolders = ['.ci', '.github', 'libs', 'platform', 'tools'];

/** Every distinct platform team the cluster files name, sorted: all of them own what is platform's. */
export function platformTeams(clusters: readonly LoadedCluster[]): string[] {
  const named = clusters.map((c) => c.cluster.repo.platformTeam).filter((team) => team !== undefined);
  return [...new Set(named)].sort();
}

/** A project's reviewers, then the platform team: GitHub drops an unknown team, the platform team stays. */
export function projectReviewers(project: Pick<ProjectInput, 'spec'>, platform: readonly string[]): string[] {
  return [...new Set([...(project.spec.reviewers ?? []), ...platform])];
}

const line = (pattern: string, owners: readonly string[]) => `${pattern} ${owners.join(' ')}`;

/**
 * `.github/CODEOWNERS`, from the cluster files (the platform team) and every spec (its reviewers).
 * Only what GitHub reads one way: paths anchored with a leading `/`, folders with a trailing `/`, the
 * case as git stores it; no `!`, no `[ ]`, no glob but the default `*`, no comment after a pattern.
 * A spec that is new in a pull request is not in the base branch's file: its default owner, the
 * platform team, approves the onboarding; later changes need the project's own reviewers.
 */
export function renderCodeowners(
  clusters: readonly LoadedCluster[],
  projects: readonly Pick<ProjectInput, 'file' | 'spec'>[],
): string {
  const platform = platformTeams(clusters);
  const sources = [...clusters.map((c) => c.source.file), 'the reviewers of every spec under projects/'];
  const sections: string[][] = [['# Everything else, root files included: the platform team.', line('*', platform)]];
  for (const project of [...projects].sort((a, b) => a.spec.id.localeCompare(b.spec.id))) {
    const owners = projectReviewers(project, platform);
    const folders = clusters
      .filter(({ cluster }) => projectOnCluster(project.spec, cluster))
      .map(({ cluster }) => `/${clusterPaths(cluster).project(project.spec.id)}/`);
    sections.push([
      `# Project ${project.spec.id}: its spec and what is rendered from it.`,
      ...[`/${project.file}`, ...folders].map((pattern) => line(pattern, owners)),
    ]);
  }
  sections.push([
    "# The gate's code, its CI, the platform, this file and what every project shares: the platform team only.",
    ...platformOnlyFolders.map((folder) => line(`/${folder}/`, platform)),
    ...clusters.flatMap(({ cluster }) => {
      const paths = clusterPaths(cluster);
      return [line(`/${paths.rootApp}`, platform), line(`/${paths.platform}/`, platform)];
    }),
  ]);
  return `${header(sources)}\n${sections.map((s) => s.join('\n')).join('\n\n')}\n`;
}
