// Errors of the policy layer; each code maps to a standard OAuth / OIDC error at the edge.
export type PolicyErrorCode = 'invalid_request' | 'unmet_authentication_requirements';

export class PolicyError extends Error {
  readonly code: PolicyErrorCode;
  constructor(code: PolicyErrorCode, message: string) {
    super(message);
    this.name = 'PolicyError';
    this.code = code;
  }
}
