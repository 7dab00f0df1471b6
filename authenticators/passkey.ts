// Passkeys (WebAuthn) through @simplewebauthn/server: user verification always required, counters only forward.
import { randomUUID } from 'node:crypto';
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
} from '@simplewebauthn/server';
import type { AuthenticatorRecord, AuthenticatorStore, CoolOff } from '../adapters/types.ts';
import type { AuthEvent } from '../policy/types.ts';
import { AuthError } from './errors.ts';
import { parseAuthenticationResponse, parseRegistrationResponse } from './webauthn-json.ts';

/** Where assertions may come from: the relying-party id and the exact page origins. */
export interface WebAuthnRelyingParty {
  rpId: string;
  rpName: string;
  origins: string[];
}

/** Seconds a challenge stays usable. */
export const CHALLENGE_TTL = 300;

export const MAX_PASSKEY_LABEL_LENGTH = 64;

/** What a passkey record keeps in `data`, besides the indexed credential id and counter. */
interface PasskeyData {
  publicKey: string;
  transports: string[];
  backupEligible: boolean;
  backedUp: boolean;
  aaguid: string;
}

export function passkeyData(record: AuthenticatorRecord): PasskeyData {
  return record.data as unknown as PasskeyData;
}

export async function registrationOptions(
  rp: WebAuthnRelyingParty,
  user: { id: string; username: string },
  existing: readonly AuthenticatorRecord[],
): Promise<PublicKeyCredentialCreationOptionsJSON> {
  return generateRegistrationOptions({
    rpName: rp.rpName,
    rpID: rp.rpId,
    userName: user.username,
    userID: new TextEncoder().encode(user.id),
    attestationType: 'none',
    excludeCredentials: existing.filter((record) => record.credentialId).map((record) => ({ id: record.credentialId!, transports: passkeyData(record).transports })),
    authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
    supportedAlgorithmIDs: [-7, -257],
    timeout: CHALLENGE_TTL * 1000,
  });
}

/** Verifies a new credential and stores it for the account; the challenge must be the one issued for this account. */
export async function registerPasskey(
  input: { accountId: string; response: string; expectedChallenge: string; label: string; coolOff?: CoolOff },
  deps: { rp: WebAuthnRelyingParty; authenticators: AuthenticatorStore; now: number },
): Promise<AuthenticatorRecord> {
  const label = input.label.trim();
  if (label === '' || label.length > MAX_PASSKEY_LABEL_LENGTH) {
    throw new AuthError('invalid_input', `the name must be 1 to ${MAX_PASSKEY_LABEL_LENGTH} characters`);
  }
  const response = parseRegistrationResponse(input.response);
  let verification;
  try {
    verification = await verifyRegistrationResponse({
      response,
      expectedChallenge: input.expectedChallenge,
      expectedOrigin: deps.rp.origins,
      expectedRPID: deps.rp.rpId,
      requireUserVerification: true,
      supportedAlgorithmIDs: [-7, -257],
    });
  } catch (error) {
    if (error instanceof AuthError) throw error;
    throw new AuthError('invalid_credentials', `the passkey could not be verified: ${(error as Error).message}`);
  }
  if (!verification.verified) throw new AuthError('invalid_credentials', 'the passkey could not be verified');
  const info = verification.registrationInfo;
  const record: AuthenticatorRecord = {
    id: randomUUID(),
    accountId: input.accountId,
    kind: 'passkey',
    label,
    credentialId: info.credential.id,
    signCount: info.credential.counter,
    data: {
      publicKey: Buffer.from(info.credential.publicKey).toString('base64url'),
      transports: info.credential.transports ?? [],
      backupEligible: info.credentialDeviceType === 'multiDevice',
      backedUp: info.credentialBackedUp,
      aaguid: info.aaguid,
    } satisfies PasskeyData,
    createdAt: deps.now,
    ...(input.coolOff && { coolOff: input.coolOff }),
  };
  await deps.authenticators.add(record);
  return record;
}

export async function authenticationOptions(
  rp: WebAuthnRelyingParty,
  allowed: readonly AuthenticatorRecord[] = [],
): Promise<PublicKeyCredentialRequestOptionsJSON> {
  return generateAuthenticationOptions({
    rpID: rp.rpId,
    userVerification: 'required',
    timeout: CHALLENGE_TTL * 1000,
    allowCredentials: allowed.filter((record) => record.credentialId).map((record) => ({ id: record.credentialId!, transports: passkeyData(record).transports })),
  });
}

/** RFC 8176: proof of possession of a synced (software) or device-bound (hardware) key, with user verification. */
export function passkeyAmr(backupEligible: boolean): string[] {
  return ['pop', backupEligible ? 'swk' : 'hwk', 'user', 'mfa'];
}

export interface VerifiedPasskey {
  authenticator: AuthenticatorRecord;
  event: AuthEvent;
}

/**
 * Verifies an assertion. With `accountId` the credential must be that account's (step-up);
 * without it the credential identifies the account (username-less sign-in).
 */
export async function verifyPasskey(
  input: { response: string; expectedChallenge: string; accountId?: string },
  deps: { rp: WebAuthnRelyingParty; authenticators: AuthenticatorStore; now: number },
): Promise<VerifiedPasskey> {
  const response = parseAuthenticationResponse(input.response);
  const record = await deps.authenticators.findByCredentialId(response.id);
  if (!record || record.kind !== 'passkey' || (input.accountId !== undefined && record.accountId !== input.accountId)) {
    throw new AuthError('invalid_credentials', 'this passkey is not registered for this account');
  }
  // WebAuthn §7.2: a user handle, when given, must name the credential's owner.
  const userHandle = response.response?.userHandle;
  if (userHandle && Buffer.from(userHandle, 'base64url').toString('utf8') !== record.accountId) {
    throw new AuthError('invalid_credentials', 'the passkey belongs to another user');
  }
  const data = passkeyData(record);
  let verification;
  try {
    verification = await verifyAuthenticationResponse({
      response,
      expectedChallenge: input.expectedChallenge,
      expectedOrigin: deps.rp.origins,
      expectedRPID: deps.rp.rpId,
      requireUserVerification: true,
      // The counter is enforced below, atomically in the store, so a clone is told apart from a bad signature.
      credential: { id: record.credentialId!, publicKey: new Uint8Array(Buffer.from(data.publicKey, 'base64url')), counter: 0, transports: data.transports },
    });
  } catch (error) {
    throw new AuthError('invalid_credentials', `the passkey could not be verified: ${(error as Error).message}`);
  }
  if (!verification.verified || !verification.authenticationInfo.userVerified) {
    throw new AuthError('invalid_credentials', 'the passkey did not verify the user');
  }
  if (!(await deps.authenticators.advanceSignCount(record.id, verification.authenticationInfo.newCounter, deps.now))) {
    throw new AuthError('cloned', 'the passkey signature counter did not advance: possible cloned authenticator');
  }
  return {
    authenticator: record,
    event: { id: randomUUID(), accountId: record.accountId, factor: 'passkey', amr: passkeyAmr(data.backupEligible), at: deps.now, authenticatorId: record.id },
  };
}
