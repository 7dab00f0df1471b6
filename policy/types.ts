// The domain vocabulary of step-up: factors, levels, events, requests and decisions.

/**
 * A kind of authentication factor. `recovery` (a recovery code or an operator's recovery link, NIST's look-up
 * secret) is proven but never part of a level: it only opens a recovery session (policy/recovery.ts).
 */
export type Factor = 'pwd' | 'otp' | 'passkey' | 'hwk' | 'recovery';

/**
 * The factors a level of the ladder can be made of. `hwk`: an assertion by a passkey whose attestation verified up to
 * the operator's trust anchors, of an allowed model (authenticators/attestation.ts); it also proves `passkey`.
 */
export const FACTORS: readonly Factor[] = ['pwd', 'otp', 'passkey', 'hwk'];

/** One rung of the assurance ladder. Times are in seconds. */
export interface Level {
  /** The acr value reported in tokens and advertised in discovery. */
  acr: string;
  /** Human-readable name shown on pages. */
  label?: string;
  /** Other acr values that name the same level in requests. */
  aliases: string[];
  /** Higher rank = higher assurance; a level satisfies every lower-ranked one. */
  rank: number;
  /** Any one of these factor sets reaches the level. */
  combinations: Factor[][];
  /** How long the level stays valid after the authentication that reached it. */
  maxAge: number;
  /** Seconds access tokens issued at this level live at most (policy/token-constraints.ts: the shortest lifetime wins). */
  accessTokenTTL?: number;
  /** Access tokens issued at this level must be DPoP-bound (RFC 9449). */
  dpop?: boolean;
}

/** Levels in ascending rank. */
export type Ladder = readonly Level[];

/** A verified factor: the unit from which every level is computed. */
export interface AuthEvent {
  /** Unique id; appending the same event twice is a no-op. */
  id: string;
  accountId: string;
  factor: Factor;
  /** RFC 8176 values this verification proves. */
  amr: string[];
  /** Epoch seconds. */
  at: number;
  authenticatorId?: string;
}

/** What a relying party asked for, already parsed and validated. */
export interface AuthRequest {
  /** acr values in preference order (from `claims` or `acr_values`). */
  acrValues: string[];
  /** True when the values come from an essential `acr` claim. */
  essential: boolean;
  /** Seconds; undefined when not requested. */
  maxAge?: number;
  /** prompt=login: every factor must be proven again in this interaction. */
  forceLogin: boolean;
  /** prompt=none: no page may be shown. */
  promptNone: boolean;
  scopes: string[];
  resources: string[];
  /** What the request's operations (authorization_details) need, resolved against the policy's operation types. */
  operations?: ReadonlyArray<{ type: string; acr: string; maxAge?: number }>;
}

/** Requirements set by policy for a client, which the front channel cannot lower. */
export interface ClientPolicy {
  clientId: string;
  minAcr?: string;
}

/** A sensitive scope or resource indicator and the assurance it requires. */
export interface ScopeRule {
  scope?: string;
  resource?: string;
  acr: string;
  maxAge?: number;
}

export interface DecisionInput {
  ladder: Ladder;
  /** Strict mode: a supported acr_values value that cannot be reached is an error, not a downgrade. */
  strict: boolean;
  request: AuthRequest;
  client: ClientPolicy;
  rules: readonly ScopeRule[];
  /** The session's account; undefined when nobody is signed in. */
  accountId?: string;
  /** The session's events (any account; others are ignored). */
  events: readonly AuthEvent[];
  /** Factors the account has enrolled with full standing (at least one authenticator of the factor not cooling off). */
  enrolled: ReadonlySet<Factor>;
  /** Authenticators enrolled by a weaker proof: until their cool-off ends they back no level above their cap. */
  coolingOff?: readonly CoolingOff[];
  /** Epoch seconds. */
  now: number;
  /** Ids of the events proven in the current interaction: the only ones prompt=login accepts. */
  interactionEvents?: ReadonlySet<string>;
  /**
   * Epoch seconds from which max_age is measured when not `now`: the moment our
   * interaction finished, so the redirect back does not age the proof (never later than now).
   */
  freshAt?: number;
}

/** An authenticator in cool-off (policy/cool-off.ts). Times are epoch seconds. */
export interface CoolingOff {
  authenticatorId: string;
  factor: Factor;
  /** The acr of the highest level it may back until `until` (what the enrolling session had proven). */
  cap: string;
  until: number;
}

export type Decision =
  | {
      outcome: 'satisfied';
      /** The acr value to report: the requested value, as the RP spelled it. */
      acr: string;
      level: Level;
      amr: string[];
      authTime: number;
      events: AuthEvent[];
    }
  | {
      outcome: 'step_up';
      /** The acr value that will be reported once the factors are proven. */
      acr: string;
      level: Level;
      /** Factors still to prove, in the order to ask for them. */
      factors: Factor[];
      /** The freshness demanded (request max_age tightened by policy), in seconds. */
      maxAge?: number;
      reason: string;
    }
  | {
      outcome: 'unmet';
      reason: string;
      /** When the level would be reachable: an authenticator that reaches it is still cooling off until then. */
      coolOffUntil?: number;
    }
  | { outcome: 'login_required'; reason: string };
