// The default assurance ladder and sensitive-scope rules (NIST SP 800-63B reauthentication).
import type { Ladder, ScopeRule } from '../policy/types.ts';
import type { OperationTypePolicy } from './operations-schema.ts';

const HOUR = 3600;
const DAY = 24 * HOUR;

/**
 * aal1: single factor; NIST caps AAL1 reauthentication at 30 days.
 * aal2: multi-factor; NIST requires reauthentication every 12 hours.
 * phr: phishing-resistant (a user-verified passkey, origin-bound); an elevated
 * level meant for one risky action, so it lasts minutes.
 */
export const DEFAULT_LADDER: Ladder = [
  { acr: 'aal1', label: 'password sign-in', aliases: [], rank: 1, combinations: [['pwd']], maxAge: 30 * DAY },
  { acr: 'aal2', label: 'two-step verification', aliases: [], rank: 2, combinations: [['pwd', 'otp'], ['passkey']], maxAge: 12 * HOUR },
  { acr: 'phr', label: 'phishing-resistant sign-in with a passkey', aliases: [], rank: 3, combinations: [['passkey']], maxAge: 10 * 60 },
];

/** Sensitive actions are defined here, not by the RP's goodwill. */
export const DEFAULT_SCOPE_RULES: ScopeRule[] = [{ scope: 'payments', acr: 'phr', maxAge: 300 }];

/**
 * Operations relying parties may ask the user to approve (RFC 9396 authorization_details). A payment needs aal2 within
 * 5 minutes, above 100 EUR a passkey (phr); deleting the account needs a passkey. Their tokens live 2 minutes and must
 * be DPoP-bound (RFC 9449).
 */
export const DEFAULT_OPERATIONS: Record<string, OperationTypePolicy> = {
  payment: {
    summary: 'Pay {instructedAmount} to {creditorName}',
    fields: {
      instructedAmount: { type: 'amount', label: 'Amount' },
      creditorName: { type: 'string', label: 'To', maxLength: 140 },
      creditorAccount: { type: 'object', fields: { iban: { type: 'iban', label: 'IBAN' } } },
      remittanceInformationUnstructured: { type: 'string', label: 'Reference', maxLength: 140, optional: true },
    },
    acr: 'aal2',
    maxAge: 300,
    rules: [{ amount: { field: 'instructedAmount', currency: 'EUR', above: '100.00' }, acr: 'phr', maxAge: 300 }],
    accessTokenTTL: 120,
    dpop: true,
  },
  account_deletion: {
    summary: 'Delete your account for good',
    fields: {},
    acr: 'phr',
    maxAge: 300,
    rules: [],
    accessTokenTTL: 120,
    dpop: true,
  },
};
