// RFC 9396 rich authorization requests: the policy's operation types are the only authorization_details types, each
// validated against its declared fields; a code carries the details of the request the user approved on our pages, its
// access token the same details, never more.
import canonicalize from 'canonicalize';
import { errors, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import { operationValidator, type OperationTypePolicy } from '../config/operations-schema.ts';

type RichAuthorizationRequests = NonNullable<NonNullable<Configuration['features']>['richAuthorizationRequests']>;
type Detail = Record<string, unknown> & { type: string };

function issues(error: { issues: Array<{ path: PropertyKey[]; message: string }> }): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.map(String).join('.') || '(detail)'}: ${issue.message}`)
    .join('; ');
}

/** The details of the request being answered, already validated by type at the endpoint. */
function requested(ctx: KoaContextWithOIDC): Detail[] | undefined {
  const raw = ctx.oidc.params?.authorization_details;
  return typeof raw === 'string' ? (JSON.parse(raw) as Detail[]) : undefined;
}

/** RFC 8785 canonical JSON, or undefined for what has none (a lone surrogate in a string). */
function canonical(value: unknown): string | undefined {
  try {
    return canonicalize(value);
  } catch {
    return undefined;
  }
}

/**
 * A token request may repeat the approved details (RFC 9396 §6.1), never change or add to them. Checked before the code
 * or refresh token is used (server/token-rules.ts), and again when the token is made.
 */
export function refuseChangedDetails(asked: unknown, approved: readonly unknown[] | undefined): void {
  let parsed = asked;
  if (typeof asked === 'string') {
    try {
      parsed = JSON.parse(asked);
    } catch {
      throw new errors.InvalidAuthorizationDetails('authorization_details is not JSON');
    }
  }
  const left = canonical(parsed);
  if (left === undefined || left !== canonical(approved ?? [])) {
    throw new errors.InvalidAuthorizationDetails('a token request can repeat the approved authorization_details, never change or add to them');
  }
}

export function richAuthorizationRequests(operations: Record<string, OperationTypePolicy>): RichAuthorizationRequests {
  const types = Object.fromEntries(
    Object.entries(operations).map(([type, operation]) => {
      const schema = operationValidator(type, operation);
      const validate = (_ctx: KoaContextWithOIDC, detail: unknown) => {
        const result = schema.safeParse(detail);
        if (!result.success) throw new errors.InvalidAuthorizationDetails(`${type}: ${issues(result.error)}`);
      };
      return [type, { validate }];
    }),
  );
  return {
    enabled: true,
    types: types as RichAuthorizationRequests['types'],
    // A code carries exactly what this authorization request asked and the user approved (oidc-provider's rar_prompt
    // shows the consent page for every request with details); details approved for an earlier request never carry over.
    authorizationDetailsForGrantSource: async (ctx: KoaContextWithOIDC) => requested(ctx),
    // The token carries the code's details. A token request may repeat them (RFC 9396 §6.1) but not change them.
    authorizationDetailsForAccessToken: async (ctx: KoaContextWithOIDC, _token: unknown, source: { rar?: Detail[] } | undefined) => {
      const asked = requested(ctx);
      const approved = source?.rar;
      if (asked) refuseChangedDetails(asked, approved);
      return approved;
    },
    authorizationDetailsForIntrospection: async (_ctx: KoaContextWithOIDC, token: { rar?: Detail[] }) => token.rar,
  } as RichAuthorizationRequests;
}
