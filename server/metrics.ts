// Prometheus metrics, derived from the audit events every decision and verification already writes.
import { Counter, Registry, collectDefaultMetrics } from 'prom-client';
import type { AuditEvent, Stores } from '../adapters/types.ts';

export interface Metrics {
  registry: Registry;
  /** Counts one audit event: a policy decision, a factor verification or an attempt-limit hit. */
  observe(event: AuditEvent): void;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const decisions = new Counter({
    name: 'stepup_decisions_total',
    help: 'Policy decisions by requested and achieved level and outcome',
    labelNames: ['requested', 'achieved', 'outcome'],
    registers: [registry],
  });
  const verifications = new Counter({
    name: 'stepup_factor_verifications_total',
    help: 'Factor verifications by factor and outcome',
    labelNames: ['factor', 'outcome'],
    registers: [registry],
  });
  const limited = new Counter({
    name: 'stepup_attempt_limit_hits_total',
    help: 'Guesses refused by the attempt limiter (throttled or locked), by factor',
    labelNames: ['factor', 'reason'],
    registers: [registry],
  });
  return {
    registry,
    observe(event) {
      if (event.type === 'policy.decision') {
        const outcome = event.reason?.split(':')[0] ?? 'satisfied';
        decisions.inc({ requested: event.requestedAcr?.join(' ') || 'none', achieved: event.achievedAcr ?? 'none', outcome });
      } else if (event.type === 'factor.verify') {
        verifications.inc({ factor: event.factor ?? 'unknown', outcome: event.outcome });
        const reason = event.reason?.split(' ')[0];
        if (reason === 'throttled' || reason === 'locked') limited.inc({ factor: event.factor ?? 'unknown', reason });
      }
    },
  };
}

/** The same stores, with every appended audit event also counted. */
export function meteredStores(stores: Stores, metrics: Metrics): Stores {
  const audit = stores.audit;
  return {
    ...stores,
    audit: {
      append: async (event) => {
        await audit.append(event);
        metrics.observe(event);
      },
      list: (filter) => audit.list(filter),
      query: (filter) => audit.query(filter),
      readChain: (afterSeq, limit) => audit.readChain(afterSeq, limit),
      verify: () => audit.verify(),
    },
  };
}
