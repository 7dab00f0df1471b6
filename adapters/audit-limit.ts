// The page size of an audit query, clamped to the same bounds by every store.
export const MAX_AUDIT_LIMIT = 1000;

export function clampAuditLimit(limit: number): number {
  if (Number.isNaN(limit)) return 1;
  return Math.min(MAX_AUDIT_LIMIT, Math.max(1, Math.trunc(limit)));
}
