// Shared fixtures for the policy tests: a fixed clock, event builders and a DecisionInput builder.
import { DEFAULT_LADDER, DEFAULT_SCOPE_RULES } from '../../../config/ladder.ts';
import type { AuthEvent, AuthRequest, ClientPolicy, DecisionInput, Factor, Ladder, ScopeRule } from '../../../policy/types.ts';

export const NOW = 1_750_000_000;
export const MIN = 60;
export const HOUR = 3600;
export const DAY = 24 * HOUR;

export const ALICE = 'alice';
export const BOB = 'bob';

/** RFC 8176 amr that each authenticator reports. */
const AMR: Record<Factor, string[]> = {
  pwd: ['pwd'],
  otp: ['otp'],
  passkey: ['hwk', 'user'],
  hwk: ['hwk', 'user'],
  recovery: [],
};

let counter = 0;

/** An event of `factor` that happened `ago` seconds before NOW (negative = in the future). */
export function ev(factor: Factor, ago: number, accountId: string = ALICE): AuthEvent {
  counter += 1;
  return { id: `e${counter}`, accountId, factor, amr: [...AMR[factor]], at: NOW - ago };
}

/** The same, proven by one particular authenticator (cool-off is per authenticator). */
export function evBy(authenticatorId: string, factor: Factor, ago: number, accountId: string = ALICE): AuthEvent {
  return { ...ev(factor, ago, accountId), authenticatorId };
}

export const enrolled = {
  none: new Set<Factor>(),
  pwd: new Set<Factor>(['pwd']),
  pwdOtp: new Set<Factor>(['pwd', 'otp']),
  pwdPasskey: new Set<Factor>(['pwd', 'passkey']),
  passkey: new Set<Factor>(['passkey']),
  all: new Set<Factor>(['pwd', 'otp', 'passkey']),
} as const;

function request(overrides: Partial<AuthRequest> = {}): AuthRequest {
  return {
    acrValues: [],
    essential: false,
    forceLogin: false,
    promptNone: false,
    scopes: ['openid'],
    resources: [],
    ...overrides,
  };
}

/** A ladder like the default one where aal2 and phr also answer to URN aliases. */
export const ALIAS_LADDER: Ladder = DEFAULT_LADDER.map((level) => {
  if (level.acr === 'aal2') return { ...level, aliases: ['urn:example:acr:mfa'] };
  if (level.acr === 'phr') return { ...level, aliases: ['urn:example:acr:phr'] };
  return level;
});

export const TRANSFERS = 'https://api.example.com/transfers';
export const RESOURCE_RULES: ScopeRule[] = [...DEFAULT_SCOPE_RULES, { resource: TRANSFERS, acr: 'aal2', maxAge: HOUR }];

/** One row of a decision table: everything but the expectation is optional. */
export interface Scenario {
  /** Request fields; acrValues may be given as a space-separated string. */
  req?: Partial<Omit<AuthRequest, 'acrValues'>> & { acrValues?: string[] | string };
  events?: AuthEvent[];
  enrolled?: ReadonlySet<Factor>;
  /** Default: ALICE. Pass null for "nobody signed in". */
  accountId?: string | null;
  strict?: boolean;
  client?: Partial<ClientPolicy>;
  rules?: readonly ScopeRule[];
  ladder?: Ladder;
  /** Seconds before NOW at which the interaction started: events since then were proven in it. */
  interactionAgo?: number;
  /** Seconds before NOW at which the interaction finished (max_age is measured from there). */
  freshAgo?: number;
  /** Authenticators in cool-off. */
  coolingOff?: DecisionInput['coolingOff'];
  /** The decision's clock, when not NOW. */
  now?: number;
}

export function input(s: Scenario): DecisionInput {
  const { acrValues, ...rest } = s.req ?? {};
  const values = typeof acrValues === 'string' ? acrValues.split(' ').filter(Boolean) : (acrValues ?? []);
  return {
    ladder: s.ladder ?? DEFAULT_LADDER,
    strict: s.strict ?? false,
    request: request({ ...rest, acrValues: values }),
    client: { clientId: 'rp', ...s.client },
    rules: s.rules ?? DEFAULT_SCOPE_RULES,
    ...(s.accountId === null ? {} : { accountId: s.accountId ?? ALICE }),
    events: s.events ?? [],
    enrolled: s.enrolled ?? enrolled.pwdOtp,
    ...(s.coolingOff ? { coolingOff: s.coolingOff } : {}),
    now: s.now ?? NOW,
    ...(s.freshAgo === undefined ? {} : { freshAt: NOW - s.freshAgo }),
    ...(s.interactionAgo === undefined ? {} : { interactionEvents: new Set((s.events ?? []).filter((event) => event.at >= NOW - s.interactionAgo!).map((event) => event.id)) }),
  };
}
