// What the demo RP remembers per browser: the tokens held, the sign-in in flight, and the story of the last action.

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
  accessToken: string;
  accessTokenExpiresAt?: number;
}

/** An API call the user asked for, replayed after a sign-in or step-up. */
export interface ApiAction {
  method: 'GET' | 'POST';
  path: string;
  body?: Record<string, string>;
  /** For pages, e.g. "transfer 25.00 EUR to bob". */
  label: string;
  /** Authorization round trips already made for this action: at most one, then the RP gives up. */
  rounds: number;
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

/** Everything the pages tell about one step-up round trip. */
export interface Story {
  action: string;
  challenge: Challenge;
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
