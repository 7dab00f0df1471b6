// Prometheus metrics across worker processes (prom-client's cluster mode): each worker answers the primary with its
// own registry, and the primary's /metrics sums them by name and labels, so the names are those of one process.
import { AggregatorRegistry, Counter, Gauge, Registry } from 'prom-client';
import type { MetricsSource } from './metrics-server.ts';

/** In a worker: answer the primary's requests with this registry (the worker's counters, histograms and process metrics). */
export function answerPrimaryMetrics(registry: Registry): void {
  AggregatorRegistry.setRegistries([registry]);
  // Constructing one registers the worker's answer to the primary's requests (prom-client/lib/cluster.js).
  new AggregatorRegistry();
}

export interface ClusterMetrics extends MetricsSource {
  /** Counts a worker that died and was replaced. */
  workerReplaced(): void;
}

/**
 * In the primary: every worker's metrics summed (counters and histograms add up; prom-client's aggregators take the
 * first, lowest or highest where a sum would be wrong), plus the primary's start time, which prom-client leaves out
 * of the sum, and the count of replaced workers. A replaced worker starts its counters from zero, so a sum can fall:
 * Prometheus' rate() and increase() read a fall as a counter reset.
 */
export function clusterMetrics(): ClusterMetrics {
  const aggregator = new AggregatorRegistry();
  const own = new Registry();
  new Gauge({ name: 'process_start_time_seconds', help: 'Start time of the process since unix epoch in seconds.', registers: [own] }).set(Math.round(Date.now() / 1000 - process.uptime()));
  const replaced = new Counter({ name: 'stepup_worker_replacements_total', help: 'Worker processes that died and were replaced (STEPUP_WORKERS above 1)', registers: [own] });
  return {
    contentType: aggregator.contentType,
    async metrics() {
      const [workers, primary] = await Promise.all([aggregator.clusterMetrics(), own.metrics()]);
      return `${workers.trimEnd()}\n\n${primary}`;
    },
    workerReplaced: () => replaced.inc(),
  };
}
