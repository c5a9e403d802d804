export interface ProjectGeneratorSchema {
  id: string;
  displayName: string;
  description?: string;
  ownerGroup: string;
  ownerRole?: 'admin' | 'edit' | 'view';
  /** Comma-separated GitHub team handles `@org/team`. */
  reviewers?: string;
  /** Comma-separated domain names. */
  domains?: string;
  bucket?: string;
  credentialsSecret?: string;
  format?: 'yaml' | 'json';
  skipRender?: boolean;
}
