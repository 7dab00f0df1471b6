// What an operation needs (RFC 9396 authorization_details): its type's level, tightened by rules on its fields (a
// payment above an amount). Pure: the details were validated against their type's declared fields before.

/** The part of an operation type's policy the decision uses. */
export interface OperationPolicy {
  acr: string;
  maxAge?: number;
  rules: ReadonlyArray<{ amount: { field: string; currency: string; above: string }; acr: string; maxAge?: number }>;
}

/** A requirement one operation adds to the request, like a sensitive scope's rule. */
export interface OperationRequirement {
  type: string;
  acr: string;
  maxAge?: number;
}

/** The value at a dotted path of a detail. */
export function valueAt(detail: Record<string, unknown>, path: string): unknown {
  let value: unknown = detail;
  for (const key of path.split('.')) {
    if (typeof value !== 'object' || value === null || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/** Compares two non-negative decimal strings exactly (no floating point): -1, 0 or 1. */
export function compareDecimal(a: string, b: string): number {
  const [aWhole, aFraction = ''] = a.split('.');
  const [bWhole, bFraction = ''] = b.split('.');
  const width = Math.max(aFraction.length, bFraction.length);
  const left = BigInt(aWhole! + aFraction.padEnd(width, '0'));
  const right = BigInt(bWhole! + bFraction.padEnd(width, '0'));
  return left === right ? 0 : left > right ? 1 : -1;
}

function isAmount(value: unknown): value is { currency: string; amount: string } {
  return typeof value === 'object' && value !== null && typeof (value as { currency?: unknown }).currency === 'string' && typeof (value as { amount?: unknown }).amount === 'string';
}

/**
 * The requirements of one operation: its type's, and each amount rule it falls under. An amount in a currency no rule
 * of that field names is held to every rule of the field (fail safe: a payment cannot escape a threshold by changing its
 * currency).
 */
export function operationRequirements(type: string, detail: Record<string, unknown>, policy: OperationPolicy): OperationRequirement[] {
  const requirements: OperationRequirement[] = [{ type, acr: policy.acr, maxAge: policy.maxAge }];
  for (const rule of policy.rules) {
    const value = valueAt(detail, rule.amount.field);
    if (!isAmount(value)) continue;
    const named = policy.rules.some((other) => other.amount.field === rule.amount.field && other.amount.currency === value.currency);
    const applies = named ? value.currency === rule.amount.currency && compareDecimal(value.amount, rule.amount.above) > 0 : true;
    if (applies) requirements.push({ type, acr: rule.acr, maxAge: rule.maxAge });
  }
  return requirements;
}

/** The exact sum of non-negative decimal strings. */
export function sumDecimal(values: readonly string[]): string {
  const width = Math.max(0, ...values.map((value) => value.split('.')[1]?.length ?? 0));
  const total = values.reduce((sum, value) => {
    const [whole, fraction = ''] = value.split('.');
    return sum + BigInt(whole! + fraction.padEnd(width, '0'));
  }, 0n);
  const digits = total.toString().padStart(width + 1, '0');
  return width === 0 ? digits : `${digits.slice(0, -width)}.${digits.slice(-width)}`;
}

/**
 * The requirements of a request's operations: each one's, and, for operations of one type sent together, their total
 * per amount field and currency against the same thresholds (ten payments of 99.99 EUR in one token are 999.90 EUR).
 */
export function requirementsOfAll(details: ReadonlyArray<Record<string, unknown> & { type: string }>, types: Readonly<Record<string, OperationPolicy>>): OperationRequirement[] {
  const requirements: OperationRequirement[] = [];
  const byType = new Map<string, Array<Record<string, unknown>>>();
  for (const detail of details) {
    const policy = types[detail.type];
    if (!policy) continue;
    requirements.push(...operationRequirements(detail.type, detail, policy));
    byType.set(detail.type, [...(byType.get(detail.type) ?? []), detail]);
  }
  for (const [type, group] of byType) {
    if (group.length < 2) continue;
    const policy = types[type]!;
    for (const field of new Set(policy.rules.map((rule) => rule.amount.field))) {
      const byCurrency = new Map<string, string[]>();
      for (const detail of group) {
        const value = valueAt(detail, field);
        if (isAmount(value)) byCurrency.set(value.currency, [...(byCurrency.get(value.currency) ?? []), value.amount]);
      }
      for (const [currency, amounts] of byCurrency) {
        const total = nested(field, { currency, amount: sumDecimal(amounts) });
        requirements.push(...operationRequirements(type, total, policy));
      }
    }
  }
  return requirements;
}

/** `{a: {b: value}}` for the path `a.b`. */
function nested(path: string, value: unknown): Record<string, unknown> {
  return path
    .split('.')
    .reverse()
    .reduce<unknown>((inner, key) => ({ [key]: inner }), value) as Record<string, unknown>;
}
