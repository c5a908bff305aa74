import { UnsafeMergeError } from '../../errors.js';
import type { TargetWarning } from '../formats/docker-auth.js';
import type { StoredVariable, VariableSettings, VariableWrite } from '../ports.js';
import type { VariableSpec } from './variables.js';

export const MANAGED_DESCRIPTION = 'Managed by ecr-gitlab-refresher: ECR entries are replaced on every refresh, other entries are kept';

/** GitLab's masking rules: raw values need 8+ characters and no whitespace; others a small alphabet. */
const MASKABLE_RAW = /^\S{8,}$/;
const MASKABLE_PLAIN = /^[a-zA-Z0-9_+=/@:.~-]{8,}$/;

function canMask(value: string, raw: boolean): boolean {
  return (raw ? MASKABLE_RAW : MASKABLE_PLAIN).test(value);
}

export interface PlannedWrite {
  write: VariableWrite;
  /** Settings that change, such as `masked: false → true`. */
  changes: string[];
  warnings: TargetWarning[];
}

export interface SettingsContext {
  /** GitLab already refused to mask this value once in this run. */
  maskRefused?: boolean;
}

/**
 * The settings to send with a value. A new variable gets every setting; an existing one keeps its own
 * (`protected`, type, description) unless the config sets them, is masked whenever the value allows it
 * and the config wants it, and is made raw only when that cannot change what it expands to.
 */
export function planVariableWrite(spec: VariableSpec, existing: StoredVariable | undefined, value: string, context: SettingsContext = {}): PlannedWrite {
  const planned = existing ? planUpdate(spec, existing, value, context) : planCreate(spec, value, context);
  const protectedAfter = planned.write.settings.protected ?? existing?.protected;
  if (spec.access === 'push' && protectedAfter !== true) {
    throw new UnsafeMergeError(
      `${spec.key} carries push credentials, which go only into protected variables, and it is unprotected in GitLab; left unchanged: protect it in GitLab, or set protected: true on this variable in the config`,
    );
  }
  return planned;
}

function planCreate(spec: VariableSpec, value: string, context: SettingsContext): PlannedWrite {
  const warnings: TargetWarning[] = [];
  const masked = spec.masked && !context.maskRefused && canMask(value, true);
  if (spec.masked && !masked) warnings.push(unmaskedWarning(context.maskRefused ? 'refused' : 'whitespace'));
  const settings: VariableSettings = {
    variableType: spec.variableType ?? 'env_var',
    protected: spec.protected ?? spec.createProtected,
    masked,
    raw: true,
    description: spec.description ?? MANAGED_DESCRIPTION,
  };
  return { write: { value, settings }, changes: [], warnings };
}

function planUpdate(spec: VariableSpec, existing: StoredVariable, value: string, context: SettingsContext): PlannedWrite {
  const settings: Partial<VariableSettings> = {};
  const changes: string[] = [];
  const warnings: TargetWarning[] = [];
  const set = <K extends keyof VariableSettings>(name: K, next: VariableSettings[K]) => {
    if (existing[name] === next) return;
    settings[name] = next;
    changes.push(`${name}: ${JSON.stringify(existing[name])} → ${JSON.stringify(next)}`);
  };
  if (spec.variableType !== undefined) set('variableType', spec.variableType);
  if (spec.protected !== undefined) set('protected', spec.protected);
  if (spec.description !== undefined) set('description', spec.description);

  // A value that is not raw has its `$` expanded by GitLab: turning raw on would change what kept entries mean.
  const raw = existing.raw || !value.includes('$');
  if (!raw) warnings.push(RAW_LEFT_OFF);
  set('raw', raw);

  if (existing.hidden) {
    // Hidden variables are always masked and GitLab never lets that change.
    if (!canMask(value, raw)) throw new UnsafeMergeError('the variable is hidden (so it must stay masked) but the new value cannot be masked; left unchanged');
  } else {
    const maskable = !context.maskRefused && canMask(value, raw);
    const masked = maskable && (spec.masked || existing.masked);
    if (spec.masked && !masked) warnings.push(unmaskedWarning(context.maskRefused ? 'refused' : raw ? 'whitespace' : 'not-raw'));
    set('masked', masked);
  }
  return { write: { value, settings }, changes, warnings };
}

const RAW_LEFT_OFF: TargetWarning = {
  code: 'raw-left-off',
  message:
    'the variable is not raw and an entry this tool keeps contains "$", which GitLab expands: raw was left off, so GitLab cannot mask the value; write that "$" as "$$" (or make the variable raw in GitLab) and the next refresh masks it',
};

function unmaskedWarning(reason: 'refused' | 'whitespace' | 'not-raw'): TargetWarning {
  const why = {
    refused: 'GitLab refused to mask it (GitLab releases that mask only a small alphabet cannot mask a JSON value); upgrade GitLab',
    whitespace: 'an entry this tool keeps contains whitespace, which GitLab cannot mask; remove the whitespace from that entry',
    'not-raw': 'the variable cannot be made raw (see the raw warning), and GitLab masks JSON only in raw variables',
  }[reason];
  return {
    code: 'unmasked',
    message: `written UNMASKED so the credentials still flow: ${why}. Until then any job that prints its environment shows the ECR passwords; set masked: false on this variable to accept that`,
  };
}
