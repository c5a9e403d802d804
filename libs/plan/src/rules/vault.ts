import type { Change } from '../diff.js';
import { vaultApiVersion } from '../model.js';
import { asArray, at, isKind, type RiskContext, type RiskFinding, type RiskRule } from '../risk.js';

const operator = 'external-secrets.io';
const vault = vaultApiVersion.split('/')[0];

/**
 * What decides which Vault path a namespace reads and as whom, field by field: the operator's store and
 * secret, and Vault's own policy and role. Each reads as one text, compared before and after.
 */
const accessFields: { group: string; kind: string; fields: [string, (o: unknown) => unknown][] }[] = [
  {
    group: operator,
    kind: 'SecretStore',
    fields: [
      ['Vault', (o) => at(o, 'spec', 'provider', 'vault', 'server')],
      ['KV mount', (o) => at(o, 'spec', 'provider', 'vault', 'path')],
      ['auth mount', (o) => at(o, 'spec', 'provider', 'vault', 'auth', 'kubernetes', 'mountPath')],
      ['role', (o) => at(o, 'spec', 'provider', 'vault', 'auth', 'kubernetes', 'role')],
      ['ServiceAccount', (o) => at(o, 'spec', 'provider', 'vault', 'auth', 'kubernetes', 'serviceAccountRef')],
    ],
  },
  {
    group: operator,
    kind: 'ExternalSecret',
    fields: [
      ['store', (o) => at(o, 'spec', 'secretStoreRef')],
      ['path', (o) => asArray(at(o, 'spec', 'data')).map((d) => at(d, 'remoteRef', 'key'))],
      ['dataFrom', (o) => at(o, 'spec', 'dataFrom')],
    ],
  },
  { group: vault, kind: 'VaultPolicy', fields: [['paths', (o) => at(o, 'body', 'path')]] },
  {
    group: vault,
    kind: 'VaultRole',
    fields: [
      ['ServiceAccounts', (o) => at(o, 'body', 'bound_service_account_names')],
      ['namespaces', (o) => at(o, 'body', 'bound_service_account_namespaces')],
      ['audience', (o) => at(o, 'body', 'audience')],
      ['policies', (o) => at(o, 'body', 'token_policies')],
    ],
  },
];

const text = (value: unknown) => (value === undefined ? 'nothing' : JSON.stringify(value));

function accessFindings({ changes }: RiskContext): RiskFinding[] {
  return changes.flatMap((change: Change): RiskFinding[] => {
    const watched = accessFields.find((w) => isKind(change, w.group, w.kind));
    if (!watched || change.action !== 'update') return [];
    const changed = watched.fields.flatMap(([field, read]) => {
      const [before, after] = [text(read(change.base!.object)), text(read(change.head!.object))];
      return before === after ? [] : [`${field} ${before} → ${after}`];
    });
    return changed.length ? [{ change, message: `${change.kind} ${change.name} changes ${changed.join('; ')}` }] : [];
  });
}

export const vaultAccessChanged: RiskRule = {
  id: 'scope/vault-access',
  severity: 'warning',
  description:
    'A SecretStore, ExternalSecret or Vault policy or role changes which Vault path ' +
    'a namespace reads, or as which role, ServiceAccount or audience.',
  fix:
    "check that the namespace still reads its own project's path alone, " +
    'and apply the changed Vault files before the merge syncs',
  check: accessFindings,
};
