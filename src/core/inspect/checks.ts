/** One line of doctor's answer; doctor, its profile checks and its secret checks all speak it. */
export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface Check {
  check: string;
  subject?: string;
  status: CheckStatus;
  detail: string;
  fix?: string;
}

/** 0 all ok, 1 warnings only, 2 any failure. */
export function doctorExitCode(checks: Check[]): 0 | 1 | 2 {
  if (checks.some((check) => check.status === 'fail')) return 2;
  return checks.some((check) => check.status === 'warn') ? 1 : 0;
}
