// What the demo RP remembers per browser: the tokens held, the sign-in in flight, and the story of the last action.
import type { PaymentDetail, TransferBody } from './payment.ts';

/** The authentication behind the tokens held, from the validated ID token. Times in epoch seconds. */
export interface TokenFacts {
  acr?: string;
  amr: string[];
  authTime?: number;
}

export interface SignedIn {
  sub: string;
  /** The provider's session id for this RP, matched by back-channel logout tokens. */
  sid?: string;
  facts: TokenFacts;
  /** DPoP-bound (RFC 9449) to the session's key: sent with a fresh proof made with that key, never alone. */
  accessToken: string;
  accessTokenExpiresAt?: number;
  /** The operations the token approves (RFC 9396), as the token response repeated them. */
  authorizationDetails?: unknown[];
}

/** The last operation token: kept to show that it cannot be used again, nor for another operation. */
export interface ApprovedOperation {
  transfer: TransferBody;
  details: PaymentDetail[];
  accessToken: string;
  expiresAt?: number;
  /** The API executed the payment with it. */
  used?: boolean;
}

/** An API call the user asked for, replayed after a sign-in or step-up. */
export interface ApiAction {
  method: 'GET' | 'POST';
  path: string;
  body?: Record<string, string>;
  /** For pages, e.g. "transfer 25.00 EUR to ACME Ltd". */
  label: string;
  /** Round trips made because the API challenged this action: at most one, then the RP gives up. */
  rounds: number;
  /**
   * The operation the call performs (RFC 9396): the RP has the user approve it at the provider before the call, and
   * again with any challenge's acr_values and max_age.
   */
  operation?: PaymentDetail[];
  /** Set once the provider issued the token for `operation`: the next step is the call. */
  approved?: boolean;
  /** A call made on purpose with the last operation token (the demo of refusals): its refusal is shown, never followed. */
  reuse?: 'same' | 'changed';
}

/** The RFC 9470 / RFC 6750 challenge as read from WWW-Authenticate. */
export interface Challenge {
  status: number;
  header: string;
  error?: string;
  errorDescription?: string;
  acrValues?: string[];
  maxAge?: number;
  scope?: string[];
}

/** Everything the pages tell about one round trip to the provider: for the API's challenge, or to approve an operation. */
export interface Story {
  action: string;
  /** The API's challenge that sent the user to the provider; none when the RP went to have an operation approved. */
  challenge?: Challenge;
  /** The authorization_details sent (RFC 9396). */
  operation?: PaymentDetail[];
  before?: TokenFacts;
  /** The parameters added to the authorization request because of the challenge. */
  sentWith: Record<string, string>;
  /** Epoch seconds when the user was sent to the provider. */
  sentAt: number;
  after?: TokenFacts;
  /** Methods the provider had the user prove, inferred from the tokens before and after. */
  proven?: string[];
  providerError?: { error: string; description?: string };
  retry?: { status: number };
}

export interface PendingLogin {
  state: string;
  nonce: string;
  verifier: string;
  maxAge?: number;
  action?: ApiAction;
  story?: Story;
}

export type ApiResult = { kind: 'answered'; status: number; body: unknown } | { kind: 'challenged'; challenge: Challenge } | { kind: 'unreachable'; message: string };

export interface Outcome {
  action: string;
  result?: ApiResult;
  story?: Story;
  /** Why the RP stopped, when it did (a loop guard, a provider error). */
  stopped?: string;
}
