import type pg from 'pg'
import type { ServiceDeps } from './lib/deps.ts'
import { createAccountsService } from './modules/accounts/accounts.service.ts'
import { createActivitiesService } from './modules/activities/activities.service.ts'
import { createEventsService } from './modules/events/events.service.ts'
import { createHandBack } from './modules/handoffs/hand-back.ts'
import { createHandoffsService } from './modules/handoffs/handoffs.service.ts'
import { createTimerBackstop } from './modules/handoffs/timer-backstop.ts'
import { createHealthService } from './modules/health/health.service.ts'
import { hubspotAdapter } from './modules/inbound/adapters/hubspot.ts'
import { tallyAdapter } from './modules/inbound/adapters/tally.ts'
import { typeformAdapter } from './modules/inbound/adapters/typeform.ts'
import { webflowAdapter } from './modules/inbound/adapters/webflow.ts'
import { createInboundService } from './modules/inbound/inbound.service.ts'
import { createSourcesService } from './modules/inbound/sources.service.ts'
import { createLeadsService } from './modules/leads/leads.service.ts'
import { createMetricsService } from './modules/metrics/metrics.service.ts'
import { createOutcomesService } from './modules/outcomes/outcomes.service.ts'
import { createPredictiveService, createPredictor } from './modules/predictive/predictive.service.ts'
import { createRepsService } from './modules/reps/reps.service.ts'
import { createAssigner } from './modules/routing/assign.ts'
import { createRulesetCache } from './modules/routing/ruleset-cache.ts'
import { createRoutingService } from './modules/routing/routing.service.ts'
import { createUnroutedRouter } from './modules/routing/unrouted.ts'
import { createScoringService } from './modules/scoring/scoring.service.ts'
import { createTasksService } from './modules/tasks/tasks.service.ts'
import { createTeamsService } from './modules/teams/teams.service.ts'
import { createDeliveriesService } from './modules/webhooks/deliveries.service.ts'
import { createDeliveryWorker } from './modules/webhooks/delivery-worker.ts'
import { createEndpointsService } from './modules/webhooks/endpoints.service.ts'
import { createSender } from './modules/webhooks/sender.ts'
import { createMailer } from './modules/notifications/email.ts'
import { createNotificationSender } from './modules/notifications/notification-sender.ts'
import { createNotificationsService } from './modules/notifications/notifications.service.ts'

/** What the services are built from: the services' own dependencies, and what readiness checks. */
export interface CompositionDeps extends ServiceDeps {
  pool: pg.Pool
  /** True once shutdown has begun (readiness then fails). */
  isDraining?: () => boolean
}

/**
 * Every service, built once, for the routes (app.ts), the jobs (worker.ts) and the tests
 * alike. A service that needs another is handed it here; nothing else builds one.
 * Building is cheap and starts nothing: the sender opens connections only when it posts.
 */
export function createServices(deps: CompositionDeps) {
  const scoring = createScoringService(deps)
  const predictor = createPredictor(deps)
  // Compiled ruleset versions, shared by every decision this process makes (a version never changes).
  const rulesets = createRulesetCache()
  const assigner = createAssigner({ ...deps, rulesets })
  const leads = createLeadsService({ ...deps, scoring, assigner, predictor })
  const handoffs = createHandoffsService({ ...deps, assigner })
  const tasks = createTasksService({ ...deps, assigner })
  const unrouted = createUnroutedRouter({ ...deps, assigner })
  const reps = createRepsService({
    ...deps,
    handBacks: createHandBack({ ...deps, assigner }),
    handBackOwned: (repId, include, actor) => leads.handBackOwned(repId, include, actor),
  })
  const sources = createSourcesService(deps)
  const adapters = { typeform: typeformAdapter, tally: tallyAdapter, webflow: webflowAdapter, hubspot: hubspotAdapter }
  const sender = createSender({ allowPrivate: deps.config.webhooks.allowPrivate, timeoutMs: deps.config.webhooks.timeoutMs })
  const { smtpUrl, from } = deps.config.mail
  const mailer = smtpUrl ? createMailer({ smtpUrl, from, publicUrl: deps.config.publicUrl }) : null
  const notifier = createNotificationSender({ ...deps, mailer, http: sender })

  return {
    health: createHealthService({ pool: deps.pool, boss: deps.boss, isDraining: deps.isDraining ?? (() => false) }),
    reps,
    teams: createTeamsService(deps),
    accounts: createAccountsService(deps),
    scoring,
    predictor,
    predictive: createPredictiveService({ ...deps, predictor }),
    outcomes: createOutcomesService(deps),
    routing: createRoutingService({ ...deps, rulesets, scoring, predictor }),
    assigner,
    unrouted,
    leads,
    handoffs,
    tasks,
    timerBackstop: createTimerBackstop(deps, { handoffs, tasks, unrouted, reps, notifier }),
    activities: createActivitiesService(deps),
    sources,
    inbound: createInboundService({ ...deps, sources, leads, adapters }),
    events: createEventsService(deps),
    endpoints: createEndpointsService(deps),
    deliveries: createDeliveriesService(deps),
    deliveryWorker: createDeliveryWorker(deps, sender),
    metrics: createMetricsService(deps),
    notifier,
    notifications: createNotificationsService(deps),
    /** Closes what the services hold open: keep-alive connections to webhook receivers and the SMTP server. */
    close: () => {
      notifier.close()
      return sender.close()
    },
  }
}

export type Services = ReturnType<typeof createServices>
