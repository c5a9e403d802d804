/** The TypeScript shape of project.schema.json (kept in step with it by the schema tests). */
export const projectApiVersion = 'flytepoc.gkp.io/v1alpha1';

export type OwnerRole = 'admin' | 'edit' | 'view';

export interface Quota {
  cpu?: string | number;
  memory?: string | number;
  pods?: number;
  ephemeralStorage?: string | number;
  persistentVolumeClaims?: number;
  storage?: string | number;
  configMaps?: number;
  secrets?: number;
  services?: number;
  loadBalancers?: number;
  nodePorts?: number;
}

export interface DomainSettings {
  quota?: Quota;
  decommission?: boolean;
}

export interface ProjectSpec {
  apiVersion: typeof projectApiVersion;
  kind: 'FlyteProject';
  id: string;
  displayName: string;
  description?: string;
  owners: { group: string; role: OwnerRole }[];
  /** GitHub team handles `@org/team`; omitted: the platform team alone. */
  reviewers?: string[];
  domains?: Record<string, DomainSettings>;
  storage: { bucket: string; credentialsSecret: string };
  clusters?: string[];
}
