// Errors of the policy layer; each code maps to a standard OAuth / OIDC error at the edge.
import { CodedError } from '../errors/coded-error.ts';

export type PolicyErrorCode = 'invalid_request' | 'unmet_authentication_requirements';

export class PolicyError extends CodedError<PolicyErrorCode> {}
