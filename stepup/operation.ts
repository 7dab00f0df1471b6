// The operation a sign-in approves (RFC 9396 authorization_details): read from the request, described in plain words
// for the page, hashed for the passkey challenge and the audit, and resolved to what the policy requires.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import canonicalize from 'canonicalize';
import type { FieldSpec, OperationTypePolicy } from '../config/operations-schema.ts';
import { fieldAt } from '../config/operations-schema.ts';
import { PolicyError } from '../policy/errors.ts';
import { requirementsOfAll, valueAt, type OperationRequirement } from '../policy/operations.ts';
import type { OperationText } from '../views/operation-box.ts';
import type { OperationRecord } from '../adapters/audit-event.ts';

export interface Operation {
  /** The details as the request carried them (validated by type when the request arrived). */
  details: Array<Record<string, unknown> & { type: string }>;
  /** SHA-256 of the RFC 8785 canonical JSON of the details. */
  hash: Buffer;
  types: string[];
}

/** The request's operation, or undefined when it names none. */
export function operationOf(params: Record<string, unknown>): Operation | undefined {
  const raw = params.authorization_details;
  if (raw === undefined || raw === '') return undefined;
  let details: unknown;
  try {
    details = typeof raw === 'string' ? JSON.parse(raw) : raw;
  } catch {
    throw new PolicyError('invalid_request', 'authorization_details is not JSON');
  }
  if (!Array.isArray(details)) throw new PolicyError('invalid_request', 'authorization_details must be a JSON array');
  if (details.length === 0) return undefined;
  if (!details.every((detail) => typeof detail === 'object' && detail !== null && typeof (detail as { type?: unknown }).type === 'string')) {
    throw new PolicyError('invalid_request', 'authorization_details members must be objects with a type');
  }
  const typed = details as Operation['details'];
  return { details: typed, hash: operationHash(typed), types: [...new Set(typed.map((detail) => detail.type))] };
}

/** What the audit keeps of an operation: its types and the hex SHA-256 of its canonical details. */
export function operationRecord(operation: Operation | undefined): OperationRecord | undefined {
  return operation && { types: operation.types, hash: operation.hash.toString('hex') };
}

function operationHash(details: unknown): Buffer {
  return createHash('sha256').update(canonicalize(details)!).digest();
}

/** What the operation needs by the policy's operation types (an unknown type was refused at the endpoint already). */
export function requirementsOf(operation: Operation | undefined, types: Record<string, OperationTypePolicy>): OperationRequirement[] {
  if (!operation) return [];
  const unknown = operation.details.find((detail) => !Object.hasOwn(types, detail.type));
  if (unknown) throw new PolicyError('invalid_request', `unsupported authorization_details type ${unknown.type}`);
  return requirementsOfAll(operation.details, types);
}

function textOf(value: unknown, field: FieldSpec | undefined): string {
  if (value === undefined || value === null) return '';
  if (field?.type === 'amount' && typeof value === 'object') {
    const { amount, currency } = value as { amount?: unknown; currency?: unknown };
    return `${String(amount)} ${String(currency)}`;
  }
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

function flatten(fields: Record<string, FieldSpec>, detail: Record<string, unknown>, prefix = ''): OperationText['fields'] {
  return Object.entries(fields).flatMap(([name, field]) => {
    const path = prefix + name;
    const value = valueAt(detail, path);
    if (value === undefined) return [];
    if (field.type === 'object') return flatten(field.fields, detail, `${path}.`);
    return [{ label: field.label ?? name, value: textOf(value, field) }];
  });
}

/** Plain text (the views escape it): the summary from the type's template, and each field present. */
export function describe(operation: Operation, types: Record<string, OperationTypePolicy>): OperationText[] {
  return operation.details.map((detail) => {
    const policy = types[detail.type];
    if (!policy) return { summary: detail.type, fields: [] };
    // One pass: a value that itself looks like a {placeholder} stays as the relying party wrote it.
    const summary = policy.summary.replace(/\{([^{}]+)\}/g, (_match, path: string) => textOf(valueAt(detail, path), fieldAt(policy.fields, path)));
    const locations = Array.isArray(detail.locations) ? [{ label: 'At', value: (detail.locations as string[]).join(', ') }] : [];
    return { summary, fields: [...flatten(policy.fields, detail), ...locations] };
  });
}

const CHALLENGE_RANDOM_BYTES = 16;

/**
 * A passkey challenge for a sign-in that approves an operation: 16 random bytes followed by the operation's SHA-256, so
 * the authenticator's signature (over clientDataJSON, which holds the challenge) commits to the operation itself.
 */
export function operationChallenge(operation: Operation): Uint8Array {
  return Buffer.concat([randomBytes(CHALLENGE_RANDOM_BYTES), operation.hash]);
}

/** Whether a challenge (base64url, as issued and as the assertion's clientDataJSON carries it) commits to `operation`. */
export function challengeCommitsTo(challenge: string, operation: Operation): boolean {
  const bytes = Buffer.from(challenge, 'base64url');
  return bytes.length === CHALLENGE_RANDOM_BYTES + operation.hash.length && timingSafeEqual(bytes.subarray(CHALLENGE_RANDOM_BYTES), operation.hash);
}
