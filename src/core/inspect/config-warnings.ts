import type { Config } from '../../config/schema.js';
import { unusedRegistries } from '../refresh/plan.js';

/** Something valid that probably does not do what was meant: validate-config and doctor print it (exit 0 / warn). */
export interface ConfigWarning {
  path: string;
  detail: string;
  fix: string;
}

/**
 * A registry that no target variable and no profile carries is minted and stored only when there is a
 * `secrets` section (its host secrets are for Secrets Manager readers); without one it is never minted,
 * which is almost certainly a mistake, so it is named here rather than skipped in silence.
 */
export function configWarnings(config: Config): ConfigWarning[] {
  if (config.secrets) return prefixWarnings(config.secrets.prefix);
  return unusedRegistries(config).map((registry) => ({
    path: `registries[${config.registries.indexOf(registry)}]`,
    detail: `registry "${registry.name}" is used by no target and no profile, and there is no secrets section: it is never minted`,
    fix: `list it in a target's or profile's registries, add a secrets section (its host secrets are then refreshed), or remove it`,
  }));
}

/**
 * The stack grants the refresh function read and write on `secret:<prefix>*`: a prefix that does not end
 * in "/" also reaches every other secret whose name merely starts with it (`team` reaches `team-db-password`).
 * The function never writes a secret it did not create, but it could read them.
 */
function prefixWarnings(prefix: string): ConfigWarning[] {
  if (prefix.endsWith('/')) return [];
  return [
    {
      path: 'secrets.prefix',
      detail: `"${prefix}" does not end with "/": the deployed function may read and write every secret whose name starts with it (such as "${prefix}-db-password"), not only its own`,
      fix: `end it with "/" (such as "${prefix}/"); the secrets under the old prefix are then no longer refreshed: delete them`,
    },
  ];
}
