import type { TargetConfig } from '../../config/schema.js';
import type { VariableFormat } from '../formats/variable-formats.js';
import type { VariableType } from '../ports.js';

export type { VariableType } from '../ports.js';

/** One variable a target writes: its main one (the Runner's DOCKER_AUTH_CONFIG by default) and any extras. */
export interface VariableSpec {
  key: string;
  format: VariableFormat;
  /** Registry names this variable carries; undefined means the target's (or every) registry. */
  registries?: string[];
  /** Settings the config sets explicitly. Undefined ones keep what an existing variable has. */
  variableType?: VariableType;
  protected?: boolean;
  description?: string;
  /** Whether the value should be masked; true unless the config says otherwise. */
  masked: boolean;
  /** `protected` for a variable this tool creates, when the config does not say. */
  createProtected: boolean;
  access: 'pull' | 'push';
}

export function variableSpecs(target: TargetConfig): VariableSpec[] {
  const main: VariableSpec = {
    key: target.variable,
    format: target.format,
    registries: target.registries,
    variableType: target.variableType,
    protected: target.protected,
    description: target.description,
    masked: target.masked,
    createProtected: false,
    access: 'pull',
  };
  const extras = (target.variables ?? []).map(
    (extra): VariableSpec => ({
      key: extra.name,
      format: extra.format,
      registries: extra.registries ?? target.registries,
      variableType: extra.variableType,
      protected: extra.protected,
      description: extra.description,
      masked: extra.masked,
      // Extra variables usually carry push credentials: only protected branches and tags get them.
      createProtected: true,
      access: extra.access,
    }),
  );
  return [main, ...extras];
}

export function mainVariable(target: TargetConfig): VariableSpec {
  return variableSpecs(target)[0] as VariableSpec;
}
