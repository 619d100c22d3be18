import type pg from 'pg'
import type { PgBoss } from 'pg-boss'
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'

/**
 * The Prometheus metrics of one Baton instance (its own registry: several instances in
 * one process, as in tests, never share counters). Labels carry outcomes, routes and
 * queue names only — never a lead, a rep or an email.
 */
export function createMetrics() {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry, prefix: 'baton_' })
  const registers = [registry]
  return {
    registry,
    httpRequests: new Histogram({
      name: 'baton_http_request_duration_seconds',
      help: 'HTTP requests by route template, method and status',
      labelNames: ['method', 'route', 'status_code'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    leadsIngested: new Counter({
      name: 'baton_leads_ingested_total',
      help: 'Submissions taken in, by outcome: qualified, disqualified, nurture, or duplicate (merged into a lead)',
      labelNames: ['outcome'] as const,
      registers,
    }),
    handoffs: new Counter({
      name: 'baton_handoffs_total',
      help: 'Handoffs answered or run out, by outcome: accepted, declined, expired',
      labelNames: ['outcome'] as const,
      registers,
    }),
    deadlineLateness: new Histogram({
      name: 'baton_deadline_lateness_seconds',
      help: 'How long after its deadline an unanswered handoff was expired',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60],
      registers,
    }),
    webhookAttempts: new Histogram({
      name: 'baton_webhook_attempt_duration_seconds',
      help: 'Webhook delivery attempts by result (success, or the error class) and their latency',
      labelNames: ['result'] as const,
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15],
      registers,
    }),
    timersRecovered: new Counter({
      name: 'baton_timers_recovered_total',
      help: 'Timers the backstop fired because their job was lost or failed: handoff_deadline, contact_overdue, unrouted_retry',
      labelNames: ['kind'] as const,
      registers,
    }),
    webhookDeliveries: new Counter({
      name: 'baton_webhook_deliveries_total',
      help: 'Webhook deliveries settled, by outcome: succeeded, failed (gave up), retrying',
      labelNames: ['outcome'] as const,
      registers,
    }),
    notifications: new Counter({
      name: 'baton_notifications_total',
      help: "Notification attempts to reps' targets, by kind (email, …) and outcome: sent, retried, failed (gave up)",
      labelNames: ['kind', 'outcome'] as const,
      registers,
    }),
  }
}

export type Metrics = ReturnType<typeof createMetrics>

/** Gauges read at scrape time: pg-boss queue depths and the database pool. */
export function watchRuntime(metrics: Metrics, { boss, pool }: { boss: PgBoss; pool: pg.Pool }): void {
  const registers = [metrics.registry]
  new Gauge({
    name: 'baton_queue_jobs',
    help: "pg-boss jobs per queue and state (from pg-boss's own periodic counts)",
    labelNames: ['queue', 'state'] as const,
    registers,
    async collect() {
      this.reset()
      const queues = await boss.getQueues().catch(() => [])
      for (const q of queues) {
        this.set({ queue: q.name, state: 'ready' }, q.readyCount)
        this.set({ queue: q.name, state: 'deferred' }, q.deferredCount)
        this.set({ queue: q.name, state: 'active' }, q.activeCount)
      }
    },
  })
  new Gauge({
    name: 'baton_db_pool_connections',
    help: 'Database pool connections: total, idle, and requests waiting for one',
    labelNames: ['state'] as const,
    registers,
    collect() {
      this.set({ state: 'total' }, pool.totalCount)
      this.set({ state: 'idle' }, pool.idleCount)
      this.set({ state: 'waiting' }, pool.waitingCount)
    },
  })
}
