/**
 * Whose review a change needs on GitHub: the base branch's `.github/CODEOWNERS` decides, and it is
 * rendered from the base's specs (each project's `reviewers` and the platform team) and cluster files.
 */
export interface Review {
  /** The project whose spec or rendered folder the change touches; null: the platform and shared files. */
  project: string | null;
  /** The GitHub teams the base branch's CODEOWNERS names for those files: one approval among them. */
  reviewers: string[];
  /** A spec the base branch does not have: its default owner, the platform team, approves the onboarding. */
  onboarding: boolean;
}

export interface Reviews {
  /** One entry per project touched (sorted), then the platform's when a shared file changed. */
  needed: Review[];
  /** The change touches the projects of more than one tenant (different reviewers) at once. */
  crossTenant: boolean;
}

/** `project x: @org/x, @org/platform (onboarding)`: one line per review, for text and Markdown alike. */
export function reviewLine(review: Review, show: (text: string) => string = (text) => text): string {
  const what = review.project === null ? 'platform and shared files' : `project ${show(review.project)}`;
  const onboarding = review.onboarding ? ' (new spec: the platform team approves the onboarding)' : '';
  return `${what}: ${review.reviewers.map(show).join(', ') || 'nobody (no platform team named)'}${onboarding}`;
}

export const crossTenantWarning = (reviews: Reviews) =>
  `touches the projects of several tenants at once (${reviews.needed
    .filter((r) => r.project !== null)
    .map((r) => r.project)
    .join(', ')}): each one's reviewers must approve; consider one pull request per project`;
