// What the policy takes from a registered client: its id and the minimum level its registration demands.
import type { ClientPolicy } from '../policy/types.ts';

export function clientPolicy(client: { clientId: string; metadata(): Record<string, unknown> }): ClientPolicy {
  const minAcr = client.metadata().stepup_min_acr;
  return { clientId: client.clientId, minAcr: typeof minAcr === 'string' ? minAcr : undefined };
}
