// Operation types (RFC 9396 authorization_details) declared in the policy file: each type's fields, the sentence the
// user reads, and the level it needs. Validated at start-up; each type becomes a strict zod validator of its details.
import { z } from 'zod';

/** A field of an operation, as the policy file declares it. */
export type FieldSpec =
  | { type: 'string'; label?: string; optional?: boolean; maxLength: number; pattern?: string }
  | { type: 'amount'; label?: string; optional?: boolean }
  | { type: 'iban'; label?: string; optional?: boolean }
  | { type: 'enum'; label?: string; optional?: boolean; values: string[] }
  | { type: 'integer'; label?: string; optional?: boolean; min?: number; max?: number }
  | { type: 'object'; label?: string; optional?: boolean; fields: Record<string, FieldSpec> };

const common = { label: z.string().min(1).optional(), optional: z.boolean().optional() };
const fieldName = z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/, 'field names are letters, digits and _');

const fieldSpec: z.ZodType<FieldSpec> = z.lazy(() =>
  z.discriminatedUnion('type', [
    z.object({ type: z.literal('string'), ...common, maxLength: z.number().int().positive().max(1000).default(140), pattern: z.string().min(1).optional() }).strict(),
    z.object({ type: z.literal('amount'), ...common }).strict(),
    z.object({ type: z.literal('iban'), ...common }).strict(),
    z.object({ type: z.literal('enum'), ...common, values: z.array(z.string().min(1)).min(1) }).strict(),
    z.object({ type: z.literal('integer'), ...common, min: z.number().int().optional(), max: z.number().int().optional() }).strict(),
    z.object({ type: z.literal('object'), ...common, fields: z.record(fieldName, fieldSpec) }).strict(),
  ]),
) as z.ZodType<FieldSpec>;

/**
 * No control, format (bidi, zero-width), line or paragraph separator characters, Hangul fillers, variation selectors,
 * nor lone surrogates (\p{Cs} matches only unpaired ones in a `u` regex).
 */
const INVISIBLE_FREE = /^[^\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}\p{Variation_Selector}\u115F\u1160\u3164\uFFA0\u2800]*$/u;
/** Combining overlays (strike-through and the like) draw over the characters around them. */
const OVERLAYS: ReadonlyArray<readonly [number, number]> = [
  [0x0334, 0x0338],
  [0x20d2, 0x20ea],
];
const ASCII_URL = /^[\x21-\x7E]+$/;

/** Text shown as the token carries it: in NFC, without overlays (the character classes above do the rest). */
function plainText(value: string): boolean {
  if (value.normalize('NFC') !== value) return false;
  return ![...value].some((char) => OVERLAYS.some(([from, to]) => char.codePointAt(0)! >= from && char.codePointAt(0)! <= to));
}

/** A decimal amount as RFC 9396's payment example writes it: a string, at most 4 decimals. */
const DECIMAL = /^(0|[1-9]\d{0,14})(\.\d{1,4})?$/;
const seconds = z.number().int().positive();

const amountRule = z
  .object({
    /** Dotted path to an `amount` field. */
    field: z.string().min(1),
    currency: z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 currency code'),
    /** Strictly above this amount (a decimal string) the rule applies. */
    above: z.string().regex(DECIMAL, 'a decimal amount as a string, e.g. "100.00"'),
  })
  .strict();

const operationRule = z.object({ amount: amountRule, acr: z.string().min(1), maxAge: seconds.optional() }).strict();

const operationTypeSchema = z
  .object({
    /** The sentence the user reads, with {field.path} placeholders, e.g. "Pay {instructedAmount} to {creditorName}". */
    summary: z.string().min(1).max(500),
    fields: z.record(fieldName, fieldSpec).default({}),
    /** The level every operation of this type needs, and how recently. */
    acr: z.string().min(1),
    maxAge: seconds.optional(),
    /** Stricter levels for some operations, e.g. a payment above an amount. */
    rules: z.array(operationRule).default([]),
    /** Lifetime of the access token that carries the operation (the shortest applicable lifetime wins). */
    accessTokenTTL: seconds.optional(),
    /** The token must be sender-constrained (DPoP, RFC 9449). */
    dpop: z.boolean().optional(),
  })
  .strict();

export type OperationTypePolicy = z.infer<typeof operationTypeSchema>;

const typeName = z.string().regex(/^[A-Za-z0-9_.:/-]{1,100}$/, 'operation type names are short identifiers or URIs');
export const operationsSchema = z.record(typeName, operationTypeSchema).default({});

/** The field a dotted path names, if declared. */
export function fieldAt(fields: Record<string, FieldSpec>, path: string): FieldSpec | undefined {
  const [head, ...rest] = path.split('.');
  const field = fields[head!];
  if (!field || rest.length === 0) return field;
  return field.type === 'object' ? fieldAt(field.fields, rest.join('.')) : undefined;
}

/** The {placeholders} of a summary template. */
function placeholders(summary: string): string[] {
  return [...summary.matchAll(/\{([^{}]+)\}/g)].map((match) => match[1]!);
}

/** Start-up checks the field schemas cannot express: placeholders and amount rules name declared fields; known levels. */
export function checkOperations(operations: Record<string, OperationTypePolicy>, acrs: ReadonlySet<string>, issue: (path: (string | number)[], message: string) => void): void {
  for (const [type, operation] of Object.entries(operations)) {
    for (const name of placeholders(operation.summary)) {
      if (!fieldAt(operation.fields, name)) issue(['operations', type, 'summary'], `the placeholder {${name}} names no declared field`);
    }
    if (!acrs.has(operation.acr)) issue(['operations', type, 'acr'], `unknown acr "${operation.acr}"`);
    operation.rules.forEach((rule, index) => {
      if (!acrs.has(rule.acr)) issue(['operations', type, 'rules', index, 'acr'], `unknown acr "${rule.acr}"`);
      if (fieldAt(operation.fields, rule.amount.field)?.type !== 'amount') issue(['operations', type, 'rules', index, 'amount', 'field'], `"${rule.amount.field}" is not an amount field`);
    });
  }
}

function fieldValidator(field: FieldSpec): z.ZodType {
  const base = ((): z.ZodType => {
    switch (field.type) {
      case 'string': {
        // The page must show the text as the token carries it: no control or invisible characters (newlines, bidi
        // overrides, zero-width, fillers, lone surrogates), no blank or space-padded value.
        const text = z
          .string()
          .min(1)
          .max(field.maxLength)
          .regex(INVISIBLE_FREE, 'control and invisible characters are not allowed')
          .refine(plainText, 'text must be in NFC, without combining overlays')
          .regex(/^\S(.*\S)?$/su, 'no leading, trailing or only spaces');
        return field.pattern ? text.regex(new RegExp(field.pattern)) : text;
      }
      case 'amount':
        return z.object({ currency: z.string().regex(/^[A-Z]{3}$/), amount: z.string().regex(DECIMAL) }).strict();
      case 'iban':
        return z.string().regex(/^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/, 'an IBAN without spaces');
      case 'enum':
        return z.enum(field.values as [string, ...string[]]);
      case 'integer': {
        let number = z.number().int();
        if (field.min !== undefined) number = number.min(field.min);
        if (field.max !== undefined) number = number.max(field.max);
        return number;
      }
      case 'object':
        return objectValidator(field.fields);
    }
  })();
  return field.optional ? base.optional() : base;
}

function objectValidator(fields: Record<string, FieldSpec>, extra: Record<string, z.ZodType> = {}): z.ZodType {
  return z.object({ ...Object.fromEntries(Object.entries(fields).map(([name, field]) => [name, fieldValidator(field)])), ...extra }).strict();
}

/**
 * The validator of one type's details: exactly the declared fields (an undeclared one is refused: the user must see
 * everything the token will carry), plus RFC 9396's common `locations`.
 */
export function operationValidator(type: string, operation: OperationTypePolicy): z.ZodType {
  return objectValidator(operation.fields, {
    type: z.literal(type),
    locations: z.array(z.string().url().regex(ASCII_URL, 'a location is an ASCII URL (punycode hosts, percent-encoded paths)')).min(1).max(10).optional(),
  });
}
