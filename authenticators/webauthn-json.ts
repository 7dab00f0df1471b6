// The shapes of the WebAuthn answers a browser posts (WebAuthn Level 3 §5.1 toJSON), checked before any library sees
// them: a malformed answer is the client's mistake (400), never a TypeError deep inside verification (500).
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import { z } from 'zod';
import { AuthError } from './errors.ts';

/** Far above any real authenticator's output; stops absurd inputs early. */
const MAX_FIELD = 64 * 1024;
const base64url = z
  .string()
  .min(1)
  .max(MAX_FIELD)
  .regex(/^[A-Za-z0-9_-]+={0,2}$/, 'must be base64url');
const credentialId = z
  .string()
  .min(1)
  .max(1024)
  .regex(/^[A-Za-z0-9_-]+={0,2}$/, 'must be base64url');
const extensions = z.record(z.string(), z.unknown()).default({});
const attachment = z.enum(['platform', 'cross-platform']).optional();

const authentication = z.object({
  id: credentialId,
  rawId: credentialId,
  type: z.literal('public-key'),
  response: z.object({
    clientDataJSON: base64url,
    authenticatorData: base64url,
    signature: base64url,
    // toJSON() of a credential without a user handle may give null: the same as absent.
    userHandle: base64url.nullish().transform((value) => value ?? undefined),
  }),
  clientExtensionResults: extensions,
  authenticatorAttachment: attachment,
});

const registration = z.object({
  id: credentialId,
  rawId: credentialId,
  type: z.literal('public-key'),
  response: z.object({
    clientDataJSON: base64url,
    attestationObject: base64url,
    authenticatorData: base64url.optional(),
    transports: z.array(z.string().max(32)).max(16).optional(),
    publicKeyAlgorithm: z.number().int().optional(),
    publicKey: base64url.optional(),
  }),
  clientExtensionResults: extensions,
  authenticatorAttachment: attachment,
});

function parse<T>(schema: z.ZodType, json: unknown): T {
  let value: unknown;
  try {
    value = typeof json === 'string' ? JSON.parse(json) : undefined;
  } catch {
    throw new AuthError('invalid_input', 'the passkey response is not JSON');
  }
  const result = schema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new AuthError('invalid_input', `the passkey response is malformed: ${issue.path.join('.') || '(root)'} ${issue.message}`);
  }
  return result.data as T;
}

export function parseAuthenticationResponse(json: unknown): AuthenticationResponseJSON {
  return parse<AuthenticationResponseJSON>(authentication, json);
}

export function parseRegistrationResponse(json: unknown): RegistrationResponseJSON {
  return parse<RegistrationResponseJSON>(registration, json);
}
