// What an access token must be, from everything that constrains it: the shortest lifetime wins, any DPoP requirement wins.

/** One source of constraints on an access token: the token's level, its resource server, an operation type it approves. */
export interface TokenRule {
  /** Names the source for errors and logs, e.g. `level phr`, `resource https://api.example`, `operation payment`. */
  source: string;
  /** Seconds the token may live at most. */
  accessTokenTTL?: number;
  /** The token must be DPoP-bound (RFC 9449). */
  dpop?: boolean;
}

export interface TokenConstraints {
  /** Seconds the token lives: the base lifetime, shortened by every rule that sets a shorter one. */
  accessTokenTTL: number;
  /** The sources that require DPoP; empty when a bearer token is allowed. */
  dpopRequiredBy: string[];
}

/**
 * `baseTTL` is the lifetime without any rule: the resource server's own, else the provider's default. A rule can only
 * shorten it (a longer lifetime in a rule is ignored), and one rule requiring DPoP is enough.
 */
export function tokenConstraints(baseTTL: number, rules: readonly TokenRule[]): TokenConstraints {
  let accessTokenTTL = baseTTL;
  const dpopRequiredBy: string[] = [];
  for (const rule of rules) {
    if (rule.accessTokenTTL !== undefined) accessTokenTTL = Math.min(accessTokenTTL, rule.accessTokenTTL);
    if (rule.dpop === true) dpopRequiredBy.push(rule.source);
  }
  return { accessTokenTTL, dpopRequiredBy };
}
