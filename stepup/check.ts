// The step-up decision at the authorization endpoint, framework-free: the oidc-provider Check (server/stepup-check.ts)
// only translates its outcome.
import type { AccountRecord, Stores } from '../adapters/types.ts';
import { decisionEvent } from './audit.ts';
import { DISABLED, NOT_REACHED, UNMET, policyRefusal, type Refusal } from './refusal.ts';
import type { ClientPolicy, Decision } from '../policy/types.ts';
import { accountSnapshot } from './account-snapshot.ts';
import type { Assessor } from './assessment.ts';
import { operationOf, operationRecord } from './operation.ts';
import { RESUME_GRACE_SECONDS, type HandedDecision, type StepUpResult } from './progress.ts';

export interface CheckDeps {
  assess: Assessor;
  stores: Stores;
  /** Seconds a stored event is kept (the ladder's longest maxAge). */
  eventTtl: number;
  now: () => number;
}

export interface CheckInput {
  params: Record<string, unknown>;
  client: ClientPolicy;
  session: { uid: string; accountId?: string };
  /** What our pages left in the interaction result, when this is the resume after them. */
  finished?: StepUpResult;
  /** A resume of an interaction that neither our pages nor a consent finished: someone skipped the pages. */
  bareResume?: boolean;
  /** The session's account as this request already read it (oidc-provider's findAccount), to spare a second read. */
  account?: AccountRecord;
  /** The user submitted the approval (consent) page in this interaction: this check issues the code. */
  approved?: boolean;
}

export type CheckOutcome =
  | { kind: 'satisfied'; decision: Extract<Decision, { outcome: 'satisfied' }> }
  /** Our pages must run; `handed` goes to the first of them. */
  | { kind: 'prompt'; handed?: HandedDecision }
  | ({ kind: 'refused' } & Refusal);

export function stepUpChecker({ assess, stores, eventTtl, now }: CheckDeps) {
  return async function check({ params, client, session, finished, bareResume = false, account, approved = false }: CheckInput): Promise<CheckOutcome> {
    const { accountId } = session;
    const at = now();
    // max_age is measured from when our pages finished only across the redirect back; a page held open longer (a
    // consent page, a tab left on the redirect) ages the proof like any other wait (OIDC Core 3.1.2.1).
    const redirectOnly = finished?.finishedAt !== undefined && finished.consentedAt === undefined;
    const freshAt = redirectOnly && at - finished.finishedAt! <= RESUME_GRACE_SECONDS ? finished.finishedAt : undefined;
    const proven = accountId ? (finished?.events ?? []).filter((event) => event.accountId === accountId) : [];
    const snapshot = accountSnapshot(stores, account?.id === accountId ? account : undefined);
    let assessment;
    try {
      assessment = await assess({ params, client, accountId, sessionUid: accountId ? session.uid : undefined, pending: proven, freshAt, now: at }, snapshot);
    } catch (error) {
      return { kind: 'refused', ...policyRefusal(error) };
    } finally {
      // Stored after the assessment, which tells them apart from the session's earlier events.
      if (proven.length) await stores.events.append(session.uid, proven, at + eventTtl);
    }
    const { decision, request, newlyProven, priorLevel, disabled } = assessment;
    // An operator disabled the account: its sessions were ended, and none may be used or resumed.
    if (disabled) return { kind: 'refused', ...DISABLED };
    if (accountId) {
      // An operation's decision names it (its types and hash): a step-up for it, or, once the user approved it on the
      // approval page, the level that approved it. The satisfied check that only leads to that page does not name it,
      // so a satisfied decision with an operation is an approved operation, never a cancelled one.
      const record = decision.outcome !== 'satisfied' || approved ? operationRecord(operationOf(params)) : undefined;
      await stores.audit.append(decisionEvent(now, decision, request, { accountId, clientId: client.clientId, sessionUid: session.uid }, { newlyProven, priorLevel }, record));
    }

    switch (decision.outcome) {
      case 'satisfied':
        return { kind: 'satisfied', decision };
      case 'unmet':
        return { kind: 'refused', ...UNMET };
      case 'step_up':
      case 'login_required':
        // Satisfied when our pages finished, short now only because time passed: prove the aged factors again.
        if (finished?.finishedAt !== undefined && freshAt === undefined) return { kind: 'prompt' };
        // Back from our interaction and still short: an error, never another round.
        if (finished || bareResume) return { kind: 'refused', ...NOT_REACHED };
        return { kind: 'prompt', handed: { decision, accountId } };
    }
  };
}

export type StepUpChecker = ReturnType<typeof stepUpChecker>;
