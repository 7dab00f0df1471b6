// Validation of the step-up policy (ladder, sensitive scopes, strictness), with errors that name the setting.
import { z } from 'zod';
import { FACTORS, type Factor, type Ladder, type ScopeRule } from '../policy/types.ts';
import { checkOperations, operationsSchema, type OperationTypePolicy } from './operations-schema.ts';

/** Seconds a factor enrolled by a weaker proof counts only up to that proof's level, unless the policy file says otherwise. */
export const DEFAULT_RECOVERY_COOL_OFF = 24 * 3600;

const factor = z.enum(FACTORS as [Factor, ...Factor[]]);
const seconds = z.number().int().positive();

const level = z.object({
  acr: z.string().min(1),
  label: z.string().min(1).optional(),
  aliases: z.array(z.string().min(1)).default([]),
  rank: z.number().int().positive(),
  combinations: z.array(z.array(factor).min(1)).min(1),
  maxAge: seconds,
  /** Access tokens issued at this level live at most this long (policy/token-constraints.ts). */
  accessTokenTTL: seconds.optional(),
  /** Access tokens issued at this level must be DPoP-bound (RFC 9449). */
  dpop: z.boolean().optional(),
});

const scopeRule = z
  .object({ scope: z.string().min(1).optional(), resource: z.string().url().optional(), acr: z.string().min(1), maxAge: seconds.optional() })
  .refine((rule) => (rule.scope === undefined) !== (rule.resource === undefined), 'a rule names exactly one of scope or resource');

export const policySchema = z
  .object({
    ladder: z.array(level).min(1),
    scopeRules: z.array(scopeRule).default([]),
    /** Operation types a relying party may send as authorization_details (RFC 9396), and what each needs. */
    operations: operationsSchema,
    strict: z.boolean().default(true),
    attestation: z
      .object({
        /** PEM files of the root certificates attestation chains must end in. */
        rootCertificates: z.array(z.string().min(1)).default([]),
        /** JSON files of FIDO metadata statements. */
        metadataStatements: z.array(z.string().min(1)).default([]),
        /** AAGUIDs whose verified authenticators count as hardware keys (hwk); empty: every verified one. */
        allowedAaguids: z.array(z.uuid().transform((value) => value.toLowerCase())).default([]),
      })
      .refine((value) => value.rootCertificates.length + value.metadataStatements.length > 0, 'name at least one root certificate or metadata statement file')
      .optional(),
    recovery: z
      .object({
        /** STEPUP_RECOVERY_COOL_OFF: how long a factor enrolled by a weaker proof counts only up to that proof's level. */
        coolOff: z.number().int().min(0).default(DEFAULT_RECOVERY_COOL_OFF),
        /** How long a recovery session may enrol and remove factors after the recovery secret was proven. */
        window: seconds.default(15 * 60),
        /** How long an operator's recovery link (user reset) stays valid. */
        linkTtl: seconds.default(30 * 60),
        /** Recovery codes in a set. */
        codes: z.number().int().min(4).max(50).default(10),
        /** Resetting an account that reached the top level needs a second operator (--approved-by). */
        resetNeedsApproval: z.boolean().default(true),
      })
      .prefault({}),
  })
  .superRefine((policy, ctx) => {
    const names = new Set<string>();
    policy.ladder.forEach((entry, index) => {
      if (index > 0 && entry.rank <= policy.ladder[index - 1]!.rank) {
        ctx.addIssue({ code: 'custom', path: ['ladder', index, 'rank'], message: 'levels must be listed in strictly ascending rank' });
      }
      for (const name of [entry.acr, ...entry.aliases]) {
        if (names.has(name)) ctx.addIssue({ code: 'custom', path: ['ladder', index], message: `acr value "${name}" is used twice` });
        names.add(name);
      }
    });
    policy.scopeRules.forEach((rule, index) => {
      if (!names.has(rule.acr)) ctx.addIssue({ code: 'custom', path: ['scopeRules', index, 'acr'], message: `unknown acr "${rule.acr}"` });
    });
    checkOperations(policy.operations, names, (path, message) => ctx.addIssue({ code: 'custom', path, message }));
  });

interface RecoveryPolicy {
  coolOff: number;
  window: number;
  linkTtl: number;
  codes: number;
  resetNeedsApproval: boolean;
}

interface AttestationPolicy {
  rootCertificates: string[];
  metadataStatements: string[];
  allowedAaguids: string[];
}

export interface StepUpPolicy {
  ladder: Ladder;
  scopeRules: ScopeRule[];
  /** Operation types (RFC 9396 authorization_details) by type name. */
  operations: Record<string, OperationTypePolicy>;
  strict: boolean;
  recovery: RecoveryPolicy;
  /** Request and verify attestation at passkey enrolment (paths relative to the policy file). */
  attestation?: AttestationPolicy;
}
