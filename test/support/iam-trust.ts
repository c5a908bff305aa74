/**
 * A small evaluator of an IAM role trust policy for AssumeRoleWithWebIdentity, as AWS documents it:
 * an Allow statement must name the action and the federated principal, and every condition operator
 * in it must hold (keys ANDed, a key's values ORed). StringEquals compares exactly; StringLike matches
 * `*` (any characters, none included) and `?` (one character), case-sensitively. moto evaluates none of
 * this, so the tests use it to prove what the policy AS WRITTEN admits.
 */

export interface WebIdentityRequest {
  /** The OIDC provider's ARN the token's issuer resolves to. */
  providerArn: string;
  /** Context keys, e.g. `gitlab.example.com:sub` → the token's `sub`. */
  claims: Record<string, string>;
}

type Statement = { Effect?: string; Action?: string | string[]; Principal?: { Federated?: string | string[] }; Condition?: Record<string, Record<string, string | string[]>> };

export function trustAdmits(policy: unknown, request: WebIdentityRequest): boolean {
  const statements = ([] as Statement[]).concat((policy as { Statement?: Statement | Statement[] }).Statement ?? []);
  return statements.some(
    (statement) =>
      statement.Effect === 'Allow' &&
      ([] as string[]).concat(statement.Action ?? []).includes('sts:AssumeRoleWithWebIdentity') &&
      ([] as string[]).concat(statement.Principal?.Federated ?? []).includes(request.providerArn) &&
      conditionsHold(statement.Condition ?? {}, request.claims),
  );
}

function conditionsHold(condition: Record<string, Record<string, string | string[]>>, claims: Record<string, string>): boolean {
  return Object.entries(condition).every(([operator, keys]) =>
    Object.entries(keys).every(([key, expected]) => {
      const actual = claims[key];
      // A missing key fails every String operator (no IfExists here).
      if (actual === undefined) return false;
      const values = ([] as string[]).concat(expected);
      if (operator === 'StringEquals') return values.includes(actual);
      if (operator === 'StringLike') return values.some((pattern) => likeToRegExp(pattern).test(actual));
      throw new Error(`evaluator: operator ${operator} not modelled`);
    }),
  );
}

function likeToRegExp(pattern: string): RegExp {
  const body = [...pattern].map((char) => (char === '*' ? '.*' : char === '?' ? '.' : char.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('');
  return new RegExp(`^${body}$`, 's');
}

/** Whether an IAM policy's resource pattern (`*`, `?`) names an ARN. */
export function resourceMatches(pattern: string, arn: string): boolean {
  return likeToRegExp(pattern).test(arn);
}
