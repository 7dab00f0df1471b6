// Recovery codes and links: issuing a set (the old one is gone), and spending one, guess-limited like passwords and codes.
import { randomUUID } from 'node:crypto';
import type { RecoverySecretStore } from '../adapters/types.ts';
import { attemptKeys } from './attempt-limiter.ts';
import { AuthError } from './errors.ts';
import { reserveGuess, type GuessLimits } from './guess.ts';
import { generateRecoveryCode, generateRecoveryLinkToken, normalizeLinkToken, normalizeRecoveryCode, recoverySecretHash, recoverySecretHashes } from './recovery-secret.ts';
import type { SecretKeyring } from './secret-box.ts';
import type { VerifiedFactor } from './types.ts';

export interface RecoveryDeps {
  secrets: RecoverySecretStore;
  keyring: SecretKeyring;
}

/** A new set of `count` recovery codes for the account, replacing its previous set; the codes are returned once, never stored. */
export async function issueRecoveryCodes(accountId: string, count: number, deps: RecoveryDeps & { now: number }): Promise<{ setId: string; codes: string[] }> {
  const setId = randomUUID();
  const codes = Array.from({ length: count }, generateRecoveryCode);
  const records = codes.map((code) => ({
    hash: recoverySecretHash(normalizeRecoveryCode(code)!, 'code', deps.keyring),
    accountId,
    kind: 'code' as const,
    setId,
    createdAt: deps.now,
  }));
  await deps.secrets.replace(accountId, 'code', records);
  return { setId, codes };
}

/** A single-use recovery link token for an operator's reset, replacing any earlier one; valid `ttl` seconds. */
export async function issueRecoveryLink(accountId: string, ttl: number, deps: RecoveryDeps & { now: number }): Promise<{ token: string; expiresAt: number }> {
  const token = generateRecoveryLinkToken();
  const expiresAt = deps.now + ttl;
  await deps.secrets.replace(accountId, 'link', [{ hash: recoverySecretHash(token, 'link', deps.keyring), accountId, kind: 'link', setId: randomUUID(), createdAt: deps.now, expiresAt }]);
  return { token, expiresAt };
}

async function spend(kind: 'code' | 'link', secret: string, accountId: string, deps: RecoveryDeps & { now: number }): Promise<boolean> {
  for (const hash of recoverySecretHashes(secret, kind, deps.keyring)) {
    if ((await deps.secrets.consume(kind, hash, deps.now, accountId)) !== undefined) return true;
  }
  return false;
}

function recoveryEvent(accountId: string, now: number): VerifiedFactor {
  // A recovery secret backs no level: it only opens a recovery session (policy/recovery.ts), so it reports no amr.
  return { event: { id: randomUUID(), accountId, factor: 'recovery', amr: [], at: now } };
}

/** Spends one of the account's recovery codes; each guess is reserved against the account's and the address's limits first. */
export async function verifyRecoveryCode({ accountId, code }: { accountId: string; code: string }, deps: RecoveryDeps & GuessLimits): Promise<VerifiedFactor> {
  const normalized = normalizeRecoveryCode(code);
  if (!normalized) throw new AuthError('invalid_input', 'a recovery code has 13 letters and digits');
  const guess = await reserveGuess(attemptKeys.recovery(accountId), deps);
  let spent: boolean;
  try {
    spent = await spend('code', normalized, accountId, deps);
  } catch (error) {
    await guess.abandon();
    throw error;
  }
  if (!spent) {
    await guess.wrong();
    throw new AuthError('invalid_credentials', 'wrong or already used recovery code');
  }
  await guess.right();
  return recoveryEvent(accountId, deps.now);
}

/** Spends the account's operator recovery link (256 bits: nothing to guess, so no limit beyond its single use and expiry). */
export async function verifyRecoveryLink({ accountId, token }: { accountId: string; token: unknown }, deps: RecoveryDeps & { now: number }): Promise<VerifiedFactor> {
  const normalized = normalizeLinkToken(token);
  if (!normalized || !(await spend('link', normalized, accountId, deps))) {
    throw new AuthError('invalid_credentials', 'the recovery link is not valid for this account, expired or already used');
  }
  return recoveryEvent(accountId, deps.now);
}
