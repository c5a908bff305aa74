import type { TargetConfig } from '../config/schema.js';

export type VariableFormat = 'docker-config' | 'registry-login';
export type VariableType = 'env_var' | 'file';

/** One variable a target writes: its main one (the Runner's DOCKER_AUTH_CONFIG by default) and any extras. */
export interface VariableSpec {
  key: string;
  variableType: VariableType;
  format: VariableFormat;
  /** Registry names this variable carries; undefined means the target's (or every) registry. */
  registries?: string[];
  protected: boolean;
  masked: boolean;
}

export function variableSpecs(target: TargetConfig): VariableSpec[] {
  const main: VariableSpec = {
    key: target.variable,
    variableType: target.variableType,
    format: target.format,
    registries: target.registries,
    protected: target.protected,
    masked: target.masked,
  };
  const extras = (target.variables ?? []).map(
    (extra): VariableSpec => ({
      key: extra.name,
      variableType: extra.variableType,
      format: extra.format,
      registries: extra.registries ?? target.registries,
      protected: extra.protected,
      masked: extra.masked,
    }),
  );
  return [main, ...extras];
}

export function mainVariable(target: TargetConfig): VariableSpec {
  return variableSpecs(target)[0] as VariableSpec;
}
