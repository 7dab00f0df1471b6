// Passkeys (WebAuthn) through @simplewebauthn/server: user verification always required, counters only forward.
import { randomUUID } from 'node:crypto';
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type RegistrationResponseJSON,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
} from '@simplewebauthn/server';
import type { AuthenticatorRecord, AuthenticatorStore, CoolOff } from '../adapters/types.ts';
import type { AuthEvent, Factor } from '../policy/types.ts';
import { attestationRecord, installAttestationTrust, isHardwareKey, statementFormat, withoutAttestation, type AttestationRecord, type AttestationTrust } from './attestation.ts';
import { AuthError } from './errors.ts';
import { parseAuthenticationResponse, parseRegistrationResponse } from './webauthn-json.ts';

/** Where assertions may come from: the relying-party id and the exact page origins; attestation trust when asked for. */
export interface WebAuthnRelyingParty {
  rpId: string;
  rpName: string;
  origins: string[];
  attestation?: AttestationTrust;
}

/** Seconds a challenge stays usable. */
export const CHALLENGE_TTL = 300;

const MAX_PASSKEY_LABEL_LENGTH = 64;

/** What a passkey record keeps in `data`, besides the indexed credential id and counter. */
interface PasskeyData {
  publicKey: string;
  transports: string[];
  backupEligible: boolean;
  backedUp: boolean;
  aaguid: string;
  /** Recorded when the policy asked for attestation at enrolment. */
  attestation?: AttestationRecord;
}

export function passkeyData(record: AuthenticatorRecord): PasskeyData {
  return record.data as unknown as PasskeyData;
}

export async function registrationOptions(rp: WebAuthnRelyingParty, user: { id: string; username: string }, existing: readonly AuthenticatorRecord[]): Promise<PublicKeyCredentialCreationOptionsJSON> {
  return generateRegistrationOptions({
    rpName: rp.rpName,
    rpID: rp.rpId,
    userName: user.username,
    userID: new TextEncoder().encode(user.id),
    // Attestation is asked for only when the operator has anchors to verify it against.
    attestationType: rp.attestation ? 'direct' : 'none',
    excludeCredentials: existing.filter((record) => record.credentialId).map((record) => ({ id: record.credentialId!, transports: passkeyData(record).transports })),
    authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
    supportedAlgorithmIDs: [-7, -257],
    timeout: CHALLENGE_TTL * 1000,
  });
}

/** Verifies a new credential and stores it for the account; the challenge must be the one issued for this account. */
export async function registerPasskey(
  input: {
    accountId: string;
    response: string;
    expectedChallenge: string;
    label: string;
    /** The cool-off of the new authenticator, decided from the factors it turns out to prove (passkey, and hwk when attested). */
    coolOff?: (factors: Factor[]) => CoolOff | undefined;
  },
  deps: { rp: WebAuthnRelyingParty; authenticators: AuthenticatorStore; now: number; allowedAaguids?: readonly string[] },
): Promise<AuthenticatorRecord> {
  const label = input.label.trim();
  if (label === '' || label.length > MAX_PASSKEY_LABEL_LENGTH) {
    throw new AuthError('invalid_input', `the name must be 1 to ${MAX_PASSKEY_LABEL_LENGTH} characters`);
  }
  const response = parseRegistrationResponse(input.response);
  const verify = (candidate: RegistrationResponseJSON) =>
    verifyRegistrationResponse({
      response: candidate,
      expectedChallenge: input.expectedChallenge,
      expectedOrigin: deps.rp.origins,
      expectedRPID: deps.rp.rpId,
      requireUserVerification: true,
      supportedAlgorithmIDs: [-7, -257],
    });
  const refuse = (error: unknown) => new AuthError('invalid_credentials', `the passkey could not be verified: ${(error as Error).message}`);
  if (deps.rp.attestation) await installAttestationTrust(deps.rp.attestation);
  let verification;
  let refused: string | undefined;
  try {
    verification = await verify(response);
  } catch (error) {
    if (!deps.rp.attestation) throw refuse(error);
    // A statement that does not verify to the operator's anchors: the passkey is enrolled without it (no hardware claim).
    refused = (error as Error).message;
    try {
      verification = await verify({ ...response, response: { ...response.response, attestationObject: withoutAttestation(response.response.attestationObject) } });
    } catch (again) {
      throw refuse(again);
    }
  }
  if (!verification.verified) throw new AuthError('invalid_credentials', 'the passkey could not be verified');
  const info = verification.registrationInfo;
  const attestation = !deps.rp.attestation
    ? undefined
    : refused !== undefined
      ? { fmt: statementFormat(response.response.attestationObject), aaguid: info.aaguid, verified: false, refused }
      : await attestationRecord(info, deps.rp.attestation);
  const factors: Factor[] = isHardwareKey(attestation, deps.allowedAaguids ?? []) ? ['passkey', 'hwk'] : ['passkey'];
  const coolOff = input.coolOff?.(factors);
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
      ...(attestation && { attestation }),
    } satisfies PasskeyData,
    createdAt: deps.now,
    ...(coolOff && { coolOff }),
  };
  await deps.authenticators.add(record);
  return record;
}

/** `challenge`: the bytes to sign (an operation-bound challenge); random when absent. */
export async function authenticationOptions(rp: WebAuthnRelyingParty, allowed: readonly AuthenticatorRecord[] = [], challenge?: Uint8Array): Promise<PublicKeyCredentialRequestOptionsJSON> {
  return generateAuthenticationOptions({
    rpID: rp.rpId,
    ...(challenge && { challenge: new Uint8Array(challenge) }),
    userVerification: 'required',
    timeout: CHALLENGE_TTL * 1000,
    allowCredentials: allowed.filter((record) => record.credentialId).map((record) => ({ id: record.credentialId!, transports: passkeyData(record).transports })),
  });
}

/**
 * RFC 8176: proof of possession with user verification; `hwk` only for a verified hardware authenticator, `swk` only
 * for a passkey that says it is synced (backup-eligible), neither when nothing is known.
 */
function passkeyAmr(data: { backupEligible: boolean }, hardware: boolean): string[] {
  const key = hardware ? ['hwk'] : data.backupEligible ? ['swk'] : [];
  return ['pop', ...key, 'user', 'mfa'];
}

export interface VerifiedPasskey {
  authenticator: AuthenticatorRecord;
  /** The passkey event, and for a verified hardware key of an allowed model the `hwk` event of the same assertion. */
  events: AuthEvent[];
}

/**
 * Verifies an assertion. With `accountId` the credential must be that account's (step-up);
 * without it the credential identifies the account (username-less sign-in).
 */
export async function verifyPasskey(
  input: { response: string; expectedChallenge: string; accountId?: string },
  deps: { rp: WebAuthnRelyingParty; authenticators: AuthenticatorStore; now: number; allowedAaguids?: readonly string[] },
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
  const hardware = isHardwareKey(data.attestation, deps.allowedAaguids ?? []);
  const amr = passkeyAmr(data, hardware);
  const event = (factor: Factor): AuthEvent => ({ id: randomUUID(), accountId: record.accountId, factor, amr, at: deps.now, authenticatorId: record.id });
  return { authenticator: record, events: hardware ? [event('passkey'), event('hwk')] : [event('passkey')] };
}
