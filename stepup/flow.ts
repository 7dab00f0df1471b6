// The step-up flow, framework-free: given an interaction (the request, what the session and this sign-in have proven),
// it begins (a page to show, or the result to finish with) and takes a factor submission (the same). The koa routes
// (interactions/login-routes.ts) only translate HTTP to these calls and render the page it names.
import { AuthError, CHALLENGE_TTL, authenticationOptions, clearAccountLimits, verifyPasskey, verifyPassword, verifyTotp, type GuessLimits } from '../authenticators/index.ts';
import type { AuthenticatorRecord, AuthenticatorStore } from '../adapters/types.ts';
import { isCoolingOff } from '../policy/cool-off.ts';
import { PolicyError } from '../policy/errors.ts';
import type { AuthEvent, ClientPolicy, Decision, Factor } from '../policy/types.ts';
import { factorRefused, factorVerified, passkeyUnlocked, suspectedClone } from './audit.ts';
import { clientAddressKeys } from './client-address.ts';
import { accountSnapshot, type AccountSnapshot } from './account-snapshot.ts';
import { factorsOf } from './assessment.ts';
import { OTHER_SUBJECT, UNMET, policyRefusal, type Refusal } from './refusal.ts';
import type { FlowDeps } from './flow-deps.ts';
import { coolingOffMessage, messageFor } from './messages.ts';
import type { StepUpResult } from './progress.ts';
import { recoveryMode, recoverySignIn, type RecoveryMode } from './recovery-sign-in.ts';
import { requestedSubject } from './requested-subject.ts';
import { passkeyOnlyStepUp, whyText } from './why.ts';
import { challengeCommitsTo, describe, operationChallenge, operationOf, operationRecord, type Operation } from './operation.ts';
import type { OperationText } from '../views/operation-box.ts';

/** One sign-in as the flow sees it: oidc-provider's interaction, translated by the caller. */
export interface FlowInteraction {
  params: Record<string, unknown>;
  client: { clientId: string; name: string; policy: ClientPolicy };
  session?: { uid: string; accountId?: string };
  progress: StepUpResult;
  /** The Check's decision, for the first page: not recomputed. */
  handed?: Extract<Decision, { outcome: 'step_up' | 'login_required' }>;
  /** The client's address (already resolved through trusted proxies), for the per-address guessing budget. */
  clientAddress: string;
  /** Stores the progress in the interaction. */
  save(progress: StepUpResult): Promise<void>;
}

interface PasskeyOffer {
  options: unknown;
  /** Username-less: the passkey identifies the account. */
  discoverable: boolean;
}

/** The page to show: which factor it asks for, and what it says. */
export type StepUpPage = { why?: string; error?: string; operations?: OperationText[] } & (
  | { factor: 'pwd'; username?: string; usernameLocked: boolean; passkey?: PasskeyOffer; passkeyFirst: boolean }
  | { factor: 'otp'; username: string }
  | { factor: 'passkey'; username: string; options: unknown }
  | { factor: 'recovery'; mode: RecoveryMode; username?: string; usernameLocked: boolean; windowMinutes: number }
);

export type FlowOutcome = { kind: 'page'; page: StepUpPage; status?: number; retryAfter?: number } | { kind: 'finish'; result: Record<string, unknown> };

export type Submission =
  | { factor: 'pwd'; username: string; password: string }
  | { factor: 'otp'; code: string }
  | { factor: 'passkey'; response: string }
  | { factor: 'recovery'; username: string; password: string; code: string; linkToken?: string; linkSpent?: () => void };

interface Notice {
  factor: Factor;
  message: string;
  status: number;
  retryAfter?: number;
  username?: string;
}

/** One request's run of the flow: the interaction, and what the request has read about the account. */
interface Run {
  interaction: FlowInteraction;
  progress: StepUpResult;
  dirty: boolean;
  snapshot: AccountSnapshot;
  /** The operation the sign-in approves (authorization_details), parsed once per request; throws like the assessment. */
  operation: () => Operation | undefined;
}

export function stepUpFlow(deps: FlowDeps) {
  const { stores, config } = deps;

  function finish(result: Record<string, unknown>): FlowOutcome {
    return { kind: 'finish', result };
  }

  /** Ends the interaction with the error oidc-provider redirects to the client. */
  function refuse({ error, description }: Refusal): FlowOutcome {
    return finish({ error, error_description: description });
  }

  /** Where a sign-in's events happen: its client and session, and the account when known. */
  function where(run: Run, accountId: string | undefined) {
    return { accountId, clientId: run.interaction.client.clientId, sessionUid: run.interaction.session?.uid };
  }

  async function decisionFor(run: Run, useHanded: boolean) {
    const { interaction, progress } = run;
    if (useHanded && interaction.handed && progress.events.length === 0) return { decision: interaction.handed };
    return deps.assess(
      { params: interaction.params, client: interaction.client.policy, accountId: progress.accountId, sessionUid: interaction.session?.uid, pending: progress.events, now: deps.now() },
      run.snapshot,
    );
  }

  /** Decide on what has been proven so far; finish the interaction or name the next factor's page. */
  async function advance(run: Run, notice?: Notice, { useHanded = false } = {}): Promise<FlowOutcome> {
    const { interaction } = run;
    let assessed;
    try {
      assessed = await decisionFor(run, useHanded);
    } catch (caught) {
      return refuse(policyRefusal(caught));
    }
    const { decision } = assessed;
    const accountId = run.progress.accountId;
    const account = accountId ? await run.snapshot.account(accountId) : undefined;
    const subject = requestedSubject(interaction.params);
    if (account && subject !== undefined && subject !== account.id) {
      return refuse(OTHER_SUBJECT);
    }

    if (decision.outcome === 'satisfied') {
      // acr and amr are decided once, by the Check at issuance (stepup/check.ts), for each request: the session keeps none.
      const login = { accountId, ts: decision.authTime, remember: true };
      return finish({ login, stepup: { ...run.progress, finishedAt: deps.now() } });
    }
    if (decision.outcome === 'unmet') {
      return refuse(UNMET);
    }

    const shown = await pageFor(run, decision, account, notice);
    shown.operations = describeOperation(run.operation());
    if (run.dirty) await interaction.save(run.progress);
    return { kind: 'page', page: shown, status: notice?.status, retryAfter: notice?.retryAfter };
  }

  async function pageFor(
    run: Run,
    decision: Extract<Decision, { outcome: 'step_up' | 'login_required' }>,
    account: Awaited<ReturnType<AccountSnapshot['account']>>,
    notice: Notice | undefined,
  ): Promise<StepUpPage> {
    const { interaction } = run;
    const clientName = interaction.client.name;
    const mode = recoveryMode(interaction.params, interaction.client.clientId);
    if (mode && !run.progress.events.some((event) => event.factor === 'recovery')) {
      const error = notice?.factor === 'recovery' || notice?.factor === 'pwd' ? notice.message : undefined;
      return {
        factor: 'recovery',
        error,
        mode,
        username: account?.username ?? notice?.username,
        usernameLocked: account !== undefined,
        windowMinutes: Math.round(config.policy.recovery.window / 60),
      };
    }
    const why = decision.outcome === 'step_up' ? whyText(clientName, decision) : undefined;
    const factor = decision.outcome === 'step_up' ? decision.factors[0]! : 'pwd';
    const message = notice?.factor === factor ? notice.message : undefined;
    if (factor === 'otp' && account) return { factor: 'otp', why, error: message, username: account.username };
    const passkeyError = message ?? (notice?.factor === 'passkey' ? notice.message : undefined);
    const passkeys = account ? (await run.snapshot.authenticators(account.id)).filter((record) => record.kind === 'passkey') : [];
    if ((factor === 'passkey' || factor === 'hwk') && account) {
      // A level that needs a hardware key offers only the account's attested hardware passkeys.
      const allowed = factor === 'hwk' ? passkeys.filter((record) => factorsOf(record, config.policy.attestation?.allowedAaguids).includes('hwk')) : passkeys;
      return { factor: 'passkey', why, error: passkeyError, username: account.username, options: await issueChallenge(run, allowed) };
    }
    // The policy only asks for factors this server can verify; anything else is a broken invariant.
    if (factor !== 'pwd') throw new Error(`no page for factor ${factor}`);
    const hint = typeof interaction.params.login_hint === 'string' ? interaction.params.login_hint : undefined;
    // A passkey is offered next to the password: username-less before sign-in, or the account's own passkeys.
    const offer = !account || passkeys.length > 0 ? { options: await issueChallenge(run, passkeys), discoverable: !account } : undefined;
    // Nobody signed in yet and only a passkey can meet the request: the passkey leads, the password comes second.
    const { ladder, strict } = config.policy;
    const anyone = account ? undefined : await deps.assess({ params: interaction.params, client: interaction.client.policy, now: deps.now() }, run.snapshot);
    const passkeyOnly = anyone ? passkeyOnlyStepUp({ ladder, strict, request: anyone.request, client: interaction.client.policy, rules: anyone.rules, now: deps.now() }) : undefined;
    return {
      factor: 'pwd',
      why: passkeyOnly ? whyText(clientName, passkeyOnly) : why,
      error: passkeyError,
      username: account?.username ?? notice?.username ?? hint,
      usernameLocked: account !== undefined,
      passkey: offer,
      passkeyFirst: passkeyOnly !== undefined,
    };
  }

  /** A fresh challenge for the page being shown, kept in the interaction (the previous one is replaced). */
  async function issueChallenge(run: Run, allowed: AuthenticatorRecord[]) {
    // Approving an operation: the challenge commits to it (random bytes, then the operation's hash).
    const operation = run.operation();
    const options = await authenticationOptions(config.webauthn, allowed, operation && operationChallenge(operation));
    run.progress = { ...run.progress, challenge: { value: options.challenge, expiresAt: deps.now() + CHALLENGE_TTL } };
    run.dirty = true;
    return options;
  }

  /** Runs one factor verification, timed for the latency histogram by factor and outcome. */
  async function timed<T>(factor: Factor, verify: () => Promise<T>): Promise<T> {
    const done = deps.metrics?.timeVerification(factor);
    try {
      const result = await verify();
      done?.('success');
      return result;
    } catch (error) {
      done?.(error instanceof AuthError ? error.code : 'error');
      throw error;
    }
  }

  /**
   * The authenticator store with the account's list read through the request's snapshot (the flow reads it anyway);
   * every write, such as consuming a TOTP step, still goes to the store and stays atomic there.
   */
  function withSnapshot(run: Run): AuthenticatorStore {
    return Object.assign(Object.create(stores.authenticators) as AuthenticatorStore, { listByAccount: (accountId: string) => run.snapshot.authenticators(accountId) });
  }

  /** Every limit a password or code guess from this request is counted against. */
  function guessLimits(run: Run): GuessLimits {
    const { limiter, addressLimit } = config;
    return { attempts: stores.attempts, limiterPolicy: limiter, addressLimit, clientAddress: clientAddressKeys(run.interaction.clientAddress), now: deps.now() };
  }

  async function proven(run: Run, ...events: AuthEvent[]): Promise<FlowOutcome> {
    const event = events[0]!;
    const account = await run.snapshot.account(event.accountId);
    if (account?.disabledAt !== undefined) return refused(run, event.factor, new AuthError('disabled', 'the account is disabled'));
    // A passkey has nothing to guess: it gets its user out of a password or TOTP lock an attacker caused. Not one still
    // in cool-off: whoever enrolled it proved less than the account's level, and must not lift its guessing limits.
    const cooling = await coolingOffNow(run, event);
    if (event.factor === 'passkey' && !cooling) {
      const cleared = await clearAccountLimits(stores.attempts, event.accountId);
      if (cleared.pwd || cleared.otp || cleared.recovery) {
        await stores.audit.append(passkeyUnlocked(deps.now, cleared, { accountId: event.accountId, clientId: run.interaction.client.clientId }));
      }
    }
    // Stored with the page or the finish that follows (a passkey answer also clears its challenge first).
    run.progress = { ...run.progress, accountId: event.accountId, events: [...run.progress.events, ...events] };
    run.dirty = true;
    // Proven on a page that showed the operation: the record names it (for a passkey, its challenge committed to it).
    const operation = operationRecord(run.operation());
    for (const each of events) await stores.audit.append(factorVerified(deps.now, each.factor, where(run, each.accountId), operation));
    // Verified, but it backs nothing above its cap yet: say so, rather than showing the same page again without a word.
    const notice = cooling ? { factor: event.factor, status: 403, message: coolingOffMessage(cooling.kind, cooling.until) } : undefined;
    return advance(run, notice);
  }

  /** The cool-off still running for the authenticator that proved `event`, if any. */
  async function coolingOffNow(run: Run, event: AuthEvent): Promise<{ kind: AuthenticatorRecord['kind']; until: number } | undefined> {
    const authenticator = event.authenticatorId ? (await run.snapshot.authenticators(event.accountId)).find((each) => each.id === event.authenticatorId) : undefined;
    return authenticator && isCoolingOff(authenticator.coolOff, deps.now()) ? { kind: authenticator.kind, until: authenticator.coolOff.until } : undefined;
  }

  async function refused(run: Run, factor: Factor, error: unknown, username?: string): Promise<FlowOutcome> {
    if (!(error instanceof AuthError)) throw error;
    if (error.code === 'cloned') {
      await stores.audit.append(suspectedClone(deps.now, factor, error, { accountId: run.progress.accountId, clientId: run.interaction.client.clientId }));
    }
    // Typed usernames are not logged: people type passwords into that field.
    const named = !run.progress.accountId && username ? await stores.accounts.findByUsername(username).catch(() => undefined) : undefined;
    const accountId = run.progress.accountId ?? named?.id;
    await stores.audit.append(factorRefused(deps.now, factor, error, where(run, accountId)));
    const { status, message } = messageFor(error, factor);
    return advance(run, { factor, status, message, username, retryAfter: error.retryAfter });
  }

  /** The operation in words for a page (summary and fields, from its type's template), if the sign-in approves one. */
  function describeOperation(operation: Operation | undefined): OperationText[] | undefined {
    return operation && describe(operation, config.policy.operations);
  }

  function start(interaction: FlowInteraction): Run {
    let parsed: { operation: Operation | undefined } | undefined;
    const operation = () => (parsed ??= { operation: operationOf(interaction.params) }).operation;
    return { interaction, progress: interaction.progress, dirty: false, snapshot: accountSnapshot(stores), operation };
  }

  /** The username a password must match: during step-up the account is fixed, and the typed one is ignored. */
  async function usernameFor(run: Run, typed: string): Promise<string> {
    const known = run.progress.accountId ? await run.snapshot.account(run.progress.accountId) : undefined;
    return known?.username ?? typed;
  }

  return {
    /** The interaction's page, or its result when nothing is missing. */
    begin(interaction: FlowInteraction): Promise<FlowOutcome> {
      return advance(start(interaction), undefined, { useHanded: true });
    },

    /** The operation an interaction approves, in words, for the approval (consent) page. */
    operationText(params: Record<string, unknown>): OperationText[] | undefined {
      return describeOperation(operationOf(params));
    },

    /** Whether this interaction is a recovery sign-in (only the account pages' own sign-in can be). */
    recoveryMode(interaction: Pick<FlowInteraction, 'params' | 'client'>): RecoveryMode | undefined {
      return recoveryMode(interaction.params, interaction.client.clientId);
    },

    /** Verifies one factor, then the next page or the result. */
    async submit(interaction: FlowInteraction, submission: Submission): Promise<FlowOutcome> {
      const run = start(interaction);
      switch (submission.factor) {
        case 'pwd': {
          const username = await usernameFor(run, submission.username);
          try {
            const { event } = await timed('pwd', () =>
              verifyPassword({ username, password: submission.password }, { ...guessLimits(run), accounts: stores.accounts, passwordParams: config.password }),
            );
            return await proven(run, event);
          } catch (error) {
            return refused(run, 'pwd', error, username);
          }
        }
        case 'otp': {
          const accountId = run.progress.accountId;
          if (!accountId) return advance(run);
          try {
            const { event } = await timed('otp', () => verifyTotp({ accountId, code: submission.code }, { ...guessLimits(run), authenticators: withSnapshot(run), keyring: deps.keyring }));
            return await proven(run, event);
          } catch (error) {
            return refused(run, 'otp', error);
          }
        }
        case 'passkey': {
          const { challenge } = run.progress;
          // Single use: the challenge is gone from the stored interaction before the answer is even checked.
          run.progress = { ...run.progress, challenge: undefined };
          await interaction.save(run.progress);
          run.dirty = false;
          try {
            if (!challenge || challenge.expiresAt < deps.now()) throw new AuthError('invalid_input', 'the passkey request expired');
            // Checked again here: the challenge this interaction signs must commit to the operation it approves.
            const operation = run.operation();
            if (operation && !challengeCommitsTo(challenge.value, operation)) throw new AuthError('invalid_input', 'the passkey request is not for this operation');
            const { events } = await timed('passkey', () =>
              verifyPasskey(
                { response: submission.response, expectedChallenge: challenge.value, accountId: run.progress.accountId },
                { rp: config.webauthn, authenticators: stores.authenticators, now: deps.now(), allowedAaguids: config.policy.attestation?.allowedAaguids },
              ),
            );
            return await proven(run, ...events);
          } catch (error) {
            return refused(run, 'passkey', error);
          }
        }
        case 'recovery': {
          const mode = recoveryMode(interaction.params, interaction.client.clientId);
          if (!mode) throw new PolicyError('invalid_request', 'this sign-in is not an account recovery');
          // As in a step-up, a signed-in session recovers its own account only.
          const username = await usernameFor(run, submission.username);
          try {
            const events = await timed('recovery', () =>
              recoverySignIn(deps, guessLimits(run), {
                mode,
                username,
                password: submission.password,
                code: submission.code,
                linkToken: submission.linkToken,
                linkSpent: submission.linkSpent,
                session: interaction.session,
              }),
            );
            return await proven(run, ...events);
          } catch (error) {
            return refused(run, 'recovery', error, username);
          }
        }
      }
    },
  };
}

export type StepUpFlow = ReturnType<typeof stepUpFlow>;
