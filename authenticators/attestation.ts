// Attested hardware passkeys: attestation verified against the operator's trust anchors only (root certificates and
// FIDO metadata statements loaded from files at start-up; nothing is fetched), with the AAGUID recorded. `hwk` is
// claimed for a verified hardware authenticator whose AAGUID the policy allows, never from a flag the authenticator sets.
import { MetadataService, SettingsService, type MetadataStatement } from '@simplewebauthn/server';
import { decodeAttestationObject, isoCBOR } from '@simplewebauthn/server/helpers';

export interface AttestationTrust {
  /** PEM root certificates an attestation chain must end in. */
  rootCertificates: string[];
  /** FIDO Metadata Service statements (their own attestation roots, per AAGUID). */
  metadataStatements: MetadataStatement[];
}

/** What registration recorded about an authenticator's attestation. */
export interface AttestationRecord {
  fmt: string;
  aaguid: string;
  /** A certificate chain (x5c) that verified up to one of the operator's anchors: not "none", not self attestation. */
  verified: boolean;
  /** Why a statement the authenticator sent did not verify (the passkey was enrolled without it). */
  refused?: string;
}

/** Every format SimpleWebAuthn verifies with certificates: the operator's anchors replace its built-in roots. */
const CERTIFICATE_FORMATS = ['packed', 'fido-u2f', 'tpm', 'android-key', 'apple', 'android-safetynet'] as const;

let installed: AttestationTrust | undefined;

/** SimpleWebAuthn keeps trust process-wide: installed before the first registration that asks for attestation. */
export async function installAttestationTrust(trust: AttestationTrust): Promise<void> {
  if (installed === trust) return;
  for (const identifier of CERTIFICATE_FORMATS) SettingsService.setRootCertificates({ identifier, certificates: trust.rootCertificates });
  await MetadataService.initialize({ mdsServers: [], statements: trust.metadataStatements, verificationMode: 'permissive' });
  installed = trust;
}

/** The attestation format a registration's attestation object names. */
export function statementFormat(attestationObject: string): string {
  return decodeAttestationObject(new Uint8Array(Buffer.from(attestationObject, 'base64url'))).get('fmt');
}

/**
 * The same registration without its attestation statement (fmt "none"): when a chain does not verify to any anchor the
 * passkey is still a passkey, just not a proven hardware key. Everything but the statement is verified as before.
 */
export function withoutAttestation(attestationObject: string): string {
  const decoded = decodeAttestationObject(new Uint8Array(Buffer.from(attestationObject, 'base64url')));
  const stripped = new Map<string, unknown>([
    ['fmt', 'none'],
    ['attStmt', new Map()],
    ['authData', decoded.get('authData')],
  ]);
  return Buffer.from(isoCBOR.encode(stripped as never)).toString('base64url');
}

/**
 * The record of a registration that verified: `verified` only for a certificate chain, and only when it can have
 * ended in an anchor (with no root certificates and no statement for the AAGUID, SimpleWebAuthn skips the path check).
 */
export async function attestationRecord(info: { fmt: string; aaguid: string; attestationObject: Uint8Array<ArrayBuffer> }, trust: AttestationTrust | undefined): Promise<AttestationRecord> {
  const statement = decodeAttestationObject(info.attestationObject).get('attStmt');
  const chained = info.fmt !== 'none' && Array.isArray(statement.get('x5c')) && statement.get('x5c')!.length > 0;
  const anchored = trust !== undefined && (trust.rootCertificates.length > 0 || (await MetadataService.getStatement(info.aaguid)) !== undefined);
  return { fmt: info.fmt, aaguid: info.aaguid, verified: chained && anchored };
}

/** A verified hardware authenticator of an allowed model (an empty allow-list allows every verified one). */
export function isHardwareKey(attestation: AttestationRecord | undefined, allowedAaguids: readonly string[]): boolean {
  if (!attestation?.verified) return false;
  return allowedAaguids.length === 0 || allowedAaguids.includes(attestation.aaguid.toLowerCase());
}
