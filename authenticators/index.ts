// The authenticators' public surface: explicit named re-exports only.
export { AuthError, SecretBoxError } from './errors.ts';
export type { AuthErrorCode, SecretBoxErrorCode } from './errors.ts';
export type { VerifiedFactor } from './types.ts';
export {
  DEFAULT_PASSWORD_PARAMS,
  MAX_PASSWORD_LENGTH,
  assertPasswordInput,
  dummyVerify,
  hashPassword,
  needsRehash,
  verifyPasswordHash,
} from './password.ts';
export type { PasswordParams } from './password.ts';
export { decryptSecret, encryptSecret } from './secret-box.ts';
export type { SecretKeyring } from './secret-box.ts';
export {
  TOTP_DIGITS,
  TOTP_PERIOD,
  currentStep,
  generateTotpSecret,
  matchTotpStep,
  normalizeTotpCode,
  totpUri,
} from './totp.ts';
export { DEFAULT_LIMITER_POLICY, attemptKeys, backoffDelay, clearAccountLimits, createAttemptLimiter } from './attempt-limiter.ts';
export type { AttemptLimiter, LimiterPolicy } from './attempt-limiter.ts';
export { DEFAULT_ADDRESS_LIMIT, createAddressLimiter } from './address-limiter.ts';
export type { AddressKey, AddressLimitPolicy, AddressLimiter } from './address-limiter.ts';
export type { GuessLimits } from './guess.ts';
export { MAX_USERNAME_LENGTH, verifyPassword } from './verify-password.ts';
export type { PasswordDeps, VerifiedPassword } from './verify-password.ts';
export { verifyTotp } from './verify-totp.ts';
export type { TotpDeps, VerifiedTotp } from './verify-totp.ts';
export { MAX_LABEL_LENGTH, MAX_TOTP_AUTHENTICATORS, confirmTotpEnrollment, newTotpEnrollment } from './enroll-totp.ts';
export type { TotpEnrollmentDeps } from './enroll-totp.ts';
export { qrSvg } from './qr.ts';
export {
  CHALLENGE_TTL,
  MAX_PASSKEY_LABEL_LENGTH,
  authenticationOptions,
  passkeyAmr,
  passkeyData,
  registerPasskey,
  registrationOptions,
  verifyPasskey,
} from './passkey.ts';
export type { VerifiedPasskey, WebAuthnRelyingParty } from './passkey.ts';
export { RECOVERY_CODE_CHARS, generateRecoveryCode, normalizeLinkToken, normalizeRecoveryCode } from './recovery-secret.ts';
export { issueRecoveryCodes, issueRecoveryLink, verifyRecoveryCode, verifyRecoveryLink } from './verify-recovery.ts';
export type { RecoveryDeps } from './verify-recovery.ts';
export { attestationRecord, installAttestationTrust, isHardwareKey } from './attestation.ts';
export type { AttestationRecord, AttestationTrust } from './attestation.ts';
