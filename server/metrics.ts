// Prometheus metrics, derived from the audit events every decision and verification already writes.
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { AuditEvent, Stores } from '../adapters/types.ts';

export interface Metrics {
  registry: Registry;
  /** Counts one audit event: a policy decision, a factor verification or an attempt-limit hit. */
  observe(event: AuditEvent): void;
  /** Starts timing one factor verification; call the result with its outcome (success or the error code). */
  timeVerification(factor: string): (outcome: string) => void;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const decisions = new Counter({
    name: 'stepup_decisions_total',
    help: 'Policy decisions by requested and achieved level, outcome, and for met ones how (previously_satisfied, authenticated, stepped_up)',
    labelNames: ['requested', 'achieved', 'outcome', 'satisfaction'],
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
    help: 'Guesses refused by a guessing limit, by factor, refusal (throttled or locked) and whose limit (account or address)',
    labelNames: ['factor', 'reason', 'limit'],
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'stepup_factor_verification_seconds',
    help: 'Time to verify one factor (limits, hash or signature check, store writes), by factor and outcome',
    labelNames: ['factor', 'outcome'],
    // Password hashing is slow on purpose (scrypt, tens of milliseconds); a TOTP or passkey check takes a few.
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  return {
    registry,
    timeVerification(factor) {
      const end = latency.startTimer({ factor });
      return (outcome) => void end({ outcome });
    },
    observe(event) {
      if (event.type === 'policy.decision') {
        const met = event.decision === 'satisfied' ? event : undefined;
        decisions.inc({ requested: event.requestedAcr?.join(' ') || 'none', achieved: met?.achievedAcr ?? 'none', outcome: event.decision, satisfaction: met?.satisfaction ?? 'none' });
      } else if (event.type === 'factor.verify') {
        verifications.inc({ factor: event.factor, outcome: event.outcome });
        if (event.outcome === 'failure' && event.limit) limited.inc({ factor: event.factor, reason: event.refusal, limit: event.limit });
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
