import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { Config } from './config.ts'
import type { SigningKeys } from './lib/auth-keys.ts'
import type { ServiceDeps } from './lib/deps.ts'
import { newId } from './lib/ids.ts'
import { authPlugin } from './plugins/auth.ts'
import { jsonBodyPlugin } from './plugins/json-body.ts'
import { clientErrorProblem, frameworkProblem, problemPlugin } from './plugins/problem.ts'
import { OneLinePerRequest } from './plugins/request-log.ts'
import { metricsEndpoint, metricsPlugin } from './plugins/metrics.ts'
import { answerSilentClients, clientTimeouts } from './plugins/slow-clients.ts'
import { swaggerPlugin } from './plugins/swagger.ts'
import { validatorCompiler } from './plugins/validation.ts'
import { healthRoutes } from './modules/health/health.routes.ts'
import { repsRoutes } from './modules/reps/reps.routes.ts'
import { teamsRoutes } from './modules/teams/teams.routes.ts'
import { accountsRoutes } from './modules/accounts/accounts.routes.ts'
import { scoringRoutes } from './modules/scoring/scoring.routes.ts'
import { eventsRoutes } from './modules/events/events.routes.ts'
import { outcomesRoutes } from './modules/outcomes/outcomes.routes.ts'
import { predictiveRoutes } from './modules/predictive/predictive.routes.ts'
import { metricsRoutes } from './modules/metrics/metrics.routes.ts'
import { deliveriesRoutes } from './modules/webhooks/deliveries.routes.ts'
import { endpointsRoutes } from './modules/webhooks/endpoints.routes.ts'
import { leadsRoutes } from './modules/leads/leads.routes.ts'
import { inboundRoutes, sourcesRoutes } from './modules/inbound/inbound.routes.ts'
import { acceptPageRoutes } from './modules/handoffs/accept-page.routes.ts'
import { handoffsRoutes } from './modules/handoffs/handoffs.routes.ts'
import { routingRoutes } from './modules/routing/routing.routes.ts'
import { tasksRoutes } from './modules/tasks/tasks.routes.ts'
import { activitiesRoutes } from './modules/activities/activities.routes.ts'
import { notificationsRoutes } from './modules/notifications/notifications.routes.ts'
import type { Services } from './services.ts'
import packageJson from '../package.json' with { type: 'json' }

/** What buildApp needs: the services the routes call, and what the plugins need. */
export interface AppDeps extends Pick<ServiceDeps, 'config' | 'logger' | 'metrics' | 'clock'> {
  services: Services
  /** Keys for tokens Baton issues; undefined when only an external issuer is trusted. */
  signingSecret: SigningKeys | undefined
}

const BODY_LIMIT_BYTES = 1024 * 1024
const INCOMING_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/

/**
 * A Fastify server as every Baton listener is one: one log line per request, the caller's
 * request id kept, problem+json even for what fails before a route runs, slow clients cut
 * off (plugins/slow-clients.ts), and the headers every answer carries.
 */
// The logger is typed as fastify's interface, so the app stays a plain FastifyInstance.
function baseServer(config: Config, logger: FastifyBaseLogger) {
  const app = Fastify({
    loggerInstance: logger,
    bodyLimit: BODY_LIMIT_BYTES,
    requestIdHeader: false,
    logController: new OneLinePerRequest(),
    ...clientTimeouts(config.http),
    // Errors Fastify and Node raise before a route runs answer as problem+json too.
    frameworkErrors: (error, request, reply) => void frameworkProblem(error, request, reply),
    clientErrorHandler: clientErrorProblem,
    // A caller's own request id is kept (when sane) so its logs and ours line up.
    genReqId: (req) => {
      const incoming = req.headers['x-request-id']
      return typeof incoming === 'string' && INCOMING_REQUEST_ID.test(incoming) ? incoming : newId()
    },
  })
  answerSilentClients(app.server)
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id)
    // No answer is to be rendered as anything but its declared type (a JSON string as HTML, say).
    reply.header('x-content-type-options', 'nosniff')
  })
  return app
}

/** Builds the HTTP app: plugins first, then the modules, each registered explicitly. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { config } = deps
  const app = baseServer(config, deps.logger).withTypeProvider<TypeBoxTypeProvider>()

  app.setValidatorCompiler(validatorCompiler)
  // JSON only: a text/plain body would otherwise reach validation as a string.
  app.removeContentTypeParser(['text/plain', 'application/json'])

  await app.register(problemPlugin)
  await app.register(jsonBodyPlugin)
  await app.register(swaggerPlugin, { version: packageJson.version })
  await app.register(authPlugin, { config, signingSecret: deps.signingSecret, clock: deps.clock })
  await app.register(metricsPlugin, { metrics: deps.metrics, config })
  const services = deps.services
  await app.register(healthRoutes, { health: services.health })

  if (config.role !== 'worker') {
    await app.register(repsRoutes, { reps: services.reps })
    await app.register(notificationsRoutes, { notifications: services.notifications })
    await app.register(teamsRoutes, { teams: services.teams })
    await app.register(accountsRoutes, { accounts: services.accounts })
    await app.register(scoringRoutes, { scoring: services.scoring })
    await app.register(predictiveRoutes, { predictive: services.predictive })
    await app.register(outcomesRoutes, { outcomes: services.outcomes })
    await app.register(routingRoutes, { routing: services.routing })
    await app.register(handoffsRoutes, { handoffs: services.handoffs })
    await app.register(acceptPageRoutes, { handoffs: services.handoffs })
    await app.register(tasksRoutes, { tasks: services.tasks })
    await app.register(activitiesRoutes, { activities: services.activities })
    await app.register(leadsRoutes, { leads: services.leads })
    await app.register(sourcesRoutes, { sources: services.sources })
    await app.register(inboundRoutes, { inbound: services.inbound })
    await app.register(eventsRoutes, { events: services.events })
    await app.register(endpointsRoutes, { endpoints: services.endpoints })
    await app.register(deliveriesRoutes, { deliveries: services.deliveries })
    await app.register(metricsRoutes, { metrics: services.metrics })
  }
  return app
}

/**
 * The listener of its own that METRICS_PORT asks for: GET /metrics and nothing else, so
 * a scraper's port can stay private while PORT is public.
 */
export async function buildMetricsApp(deps: Pick<AppDeps, 'config' | 'logger' | 'metrics'>): Promise<FastifyInstance> {
  const app = baseServer(deps.config, deps.logger)
  await app.register(problemPlugin)
  await app.register(metricsEndpoint, { metrics: deps.metrics, config: deps.config })
  return app
}
