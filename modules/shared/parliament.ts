/**
 * A parliament finding this statement deliberately keeps, and why. parliament
 * (https://github.com/duo-labs/parliament) audits IAM policies against AWS's own action, resource and
 * condition tables; the security gate (`__tests__/emulator/security/parliament.test.ts`) runs it over every
 * policy of the stack and accepts a finding only when its statement carries an acceptance for that issue,
 * and fails on an acceptance no finding needs any more.
 */
export interface AcceptedFinding {
  /** parliament's issue code, e.g. `RESOURCE_MISMATCH`. */
  readonly issue: string;
  /** Why the statement is right as it is: shown to reviewers and asserted by the gate. */
  readonly reason: string;
}

/** Throws on an issue code that is not parliament's shape or a reason too short to judge. */
export function checkAcceptedFindings(sid: string, accepted: readonly AcceptedFinding[]): void {
  for (const { issue, reason } of accepted) {
    if (!/^[A-Z][A-Z_]+$/.test(issue)) throw new Error(`statement ${sid}: parliament issue must look like RESOURCE_MISMATCH, got "${issue}"`);
    if (reason.trim().length < 20) throw new Error(`statement ${sid}: accepted ${issue} needs a real reason, got "${reason}"`);
  }
}

/** What the stack put in one policy document, for the gate to audit. */
export interface RegisteredPolicy {
  /** A role trust policy: its statements have no Resource (the role itself is the resource). */
  readonly trust: boolean;
  readonly statements: readonly RegisteredStatement[];
}

export interface RegisteredStatement {
  readonly sid: string;
  readonly acceptedFindings: readonly AcceptedFinding[];
}

/**
 * Policy documents by the token string `policyDocument` / `assumeRolePolicy` returned. Tokens are unique
 * per process, so the gate can find, from a resource's configuration, which statements (and which
 * accepted findings) its policy holds.
 */
const registered = new Map<string, RegisteredPolicy>();

export function registerPolicy(document: string, policy: RegisteredPolicy): void {
  registered.set(document, policy);
}

/** The policy registered under this document string, or undefined when it was not built by this stack. */
export function registeredPolicy(document: string): RegisteredPolicy | undefined {
  return registered.get(document);
}
