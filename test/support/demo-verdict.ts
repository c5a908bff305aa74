/** What `npm run demo` saw: each command's exit code and the two merges it checks by reading the variables. */
export interface DemoOutcome {
  exitCodes: Record<'refresh' | 'doctor' | 'status', number | null>;
  dockerHubKept: boolean;
  shadowingCovered: boolean;
}

/** Everything that keeps the demo from being green; empty when all is well. */
export function demoProblems(outcome: DemoOutcome): string[] {
  const problems = Object.entries(outcome.exitCodes)
    .filter(([, code]) => code !== 0)
    .map(([command, code]) => `${command} exited ${code} (see its output above)`);
  if (!outcome.dockerHubKept) problems.push('the Docker Hub entry seeded in platform/api was lost');
  if (!outcome.shadowingCovered) problems.push('platform/backend/worker was not covered: it lacks the ECR entries or lost its quay.io entry');
  return problems;
}
