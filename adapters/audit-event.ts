// The audit log's events as a tagged union on `type`, each with the fields it carries; built by stepup/audit.ts.
import type { Factor } from '../policy/types.ts';
import type { RevokedForAccount } from './types.ts';

/** What every event carries. */
interface Base {
  /**
   * Epoch milliseconds, as every release has stored it (the CLI's --since and --until take them too). Built from the
   * injected clock's epoch seconds × 1000, so whole seconds; events written before were wall-clock milliseconds.
   */
  at: number;
  accountId?: string;
  clientId?: string;
  sessionUid?: string;
}

/** How a met requirement was met: see stepup/audit.ts. */
export type Satisfaction = 'previously_satisfied' | 'authenticated' | 'stepped_up';

/** Why a factor was refused: the authenticators' AuthError code (stepup/audit.ts assigns it, so the two stay in step). */
type Refusal = 'invalid_credentials' | 'throttled' | 'locked' | 'replayed' | 'cloned' | 'invalid_input' | 'not_enrolled' | 'disabled';

/** Whose guessing limit refused a guess: the account's, or the client address's. */
type GuessLimit = 'account' | 'address';

/** What a credential change cut off: sessions ended, grants and tokens revoked, relying parties told. */
export type CutOff = RevokedForAccount & { notified: number };

/** Failed guesses an unlock cleared, per factor. */
export interface ClearedAttempts {
  pwd: number;
  otp: number;
  recovery: number;
}

/** Operator commands: who ran it, why, and who approved it where a second operator is required. */
interface ByOperator {
  accountId: string;
  operator: string;
  approvedBy?: string;
  reason: string;
}

/** A cool-off the change started: until when the new factor counts only up to the level `coolOffCap`. */
interface CoolOffFields {
  coolOffUntil?: number;
  coolOffCap?: string;
}

/** The operation a decision is about (RFC 9396 authorization_details): its types and the SHA-256 of its canonical JSON (hex). */
export interface OperationRecord {
  types: string[];
  hash: string;
}

export type PolicyDecisionEvent = Base & { type: 'policy.decision'; requestedAcr?: string[]; requestedMaxAge?: number; operation?: OperationRecord } & (
    | {
        decision: 'satisfied';
        outcome: 'success';
        achievedAcr: string;
        amr: string[];
        /** From earlier factors only, from factors all proven now, or by a step-up. */
        satisfaction: Satisfaction;
        /** The factors proven in this sign-in. */
        factors: Factor[];
      }
    | { decision: 'step_up'; outcome: 'info'; reason: string; /** The factors still required fresh. */ factors: Factor[] }
    | { decision: 'unmet'; outcome: 'failure'; reason: string; /** When the level would be reachable (a cool-off ends). */ coolOffUntil?: number }
    | { decision: 'login_required'; outcome: 'info'; reason: string }
  );

export type FactorVerifyEvent = Base & { type: 'factor.verify'; factor: Factor; /** The operation shown on the page where it was proven. */ operation?: OperationRecord } & (
    | { outcome: 'success' }
    | {
        outcome: 'failure';
        refusal: Refusal;
        /** Set when a guessing limit refused it (refusal throttled or locked). */
        limit?: GuessLimit;
        /** For people: the refusal, whose limit, and whether the username was unknown. */
        reason: string;
      }
  );

export type AccountUnlockEvent = Base & { type: 'account.unlock'; outcome: 'success'; accountId: string; cleared?: ClearedAttempts } & (
    | ByOperator
    /** A passkey sign-in lifted the password and code limits an attacker may have run into. */
    | { factor: 'passkey'; reason: string }
  );

export type AuthenticatorEnrollEvent = Base & { type: 'authenticator.enroll'; accountId: string; factor: Factor } & (
    | (ByOperator & { outcome: 'success'; authenticatorId: string })
    | ({ outcome: 'success'; authenticatorId: string; reason: string; revoked: CutOff } & CoolOffFields)
    | { outcome: 'failure'; refusal: Refusal; reason: string }
  );

export type AuthenticatorRemoveEvent = Base & { type: 'authenticator.remove'; outcome: 'success'; accountId: string; factor: Factor; authenticatorId: string; revoked: CutOff } & (
    ByOperator | { reason: string }
  );

export type AuthenticatorRenameEvent = Base & { type: 'authenticator.rename'; outcome: 'success'; accountId: string; factor: Factor; authenticatorId: string; reason: string };

/** A passkey's signature counter did not advance: it may have been copied. */
export type SuspectedCloneEvent = Base & { type: 'authenticator.suspected_clone'; outcome: 'failure'; factor: Factor; reason: string };

/** A recovery sign-in opened a recovery session, with a recovery code or an operator's link. */
export type AccountRecoveryEvent = Base & { type: 'account.recovery'; outcome: 'success'; accountId: string; factor: 'recovery'; via: 'code' | 'link'; reason: string; revoked: CutOff };

/** The first enrolled factor that lets the account reach a higher level. */
export type CeilingRaisedEvent = Base &
  CoolOffFields & { type: 'account.ceiling_raised'; outcome: 'info'; accountId: string; factor: Factor; authenticatorId: string; ceilingBefore?: string; ceilingAfter?: string; reason: string };

export type RecoveryCodesEvent = Base & { type: 'recovery_codes.generate'; outcome: 'success'; accountId: string; factor: 'recovery'; setId: string; count: number; reason: string };

/** Operator commands on an account, each with what it cut off (but enable). */
type OperatorAccountEvent = Base &
  ByOperator & { outcome: 'success' } & (
    | { type: 'account.sessions_revoked' | 'account.disable' | 'account.reset' | 'account.delete'; revoked: CutOff }
    | { type: 'account.password_set'; factor: 'pwd'; revoked: CutOff }
    | { type: 'account.enable' }
  );

export type AuditEvent =
  | PolicyDecisionEvent
  | FactorVerifyEvent
  | AccountUnlockEvent
  | AuthenticatorEnrollEvent
  | AuthenticatorRemoveEvent
  | AuthenticatorRenameEvent
  | SuspectedCloneEvent
  | AccountRecoveryEvent
  | CeilingRaisedEvent
  | RecoveryCodesEvent
  | OperatorAccountEvent;

export type AuditOutcome = AuditEvent['outcome'];

type KeyOf<T> = T extends unknown ? keyof T : never;
type FieldOf<T, K extends PropertyKey> = T extends unknown ? (K extends keyof T ? T[K] : never) : never;

/**
 * An event as a store gives it back: written by this release (an AuditEvent) or an earlier one, which may lack the
 * fields added since (`decision`, `refusal`, `limit`, ...) or have another type. Every field of every event, optional.
 */
export type StoredAuditEvent = { at: number; type: string; outcome: AuditOutcome } & {
  [K in Exclude<KeyOf<AuditEvent>, 'at' | 'type' | 'outcome'>]?: FieldOf<AuditEvent, K>;
};
