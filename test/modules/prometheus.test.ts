// GET /metrics: Prometheus exposition (checked with a parser), what it counts, and who may read it.
import t from 'tap'
import { apiClient } from '../helpers/api.ts'
import { buildTestApp } from '../helpers/app.ts'
import { handoffHarness } from '../helpers/handoffs.ts'
import { parsePrometheus, sampleValue, type Family } from '../helpers/prometheus.ts'
import { startReceiver } from '../helpers/receiver.ts'
import { waitFor } from '../helpers/wait.ts'

const family = (families: Family[], name: string) => families.find((f) => f.name === name)
const valueOf = (families: Family[], name: string, labels: Record<string, string> = {}) => sampleValue(families, name, labels)
const countOf = (families: Family[], name: string, labels: Record<string, string> = {}) =>
  sampleValue(families, name, labels, `${name}_count`)
const bucket = (families: Family[], name: string, le: string) => sampleValue(families, name, { le }, `${name}_bucket`)

t.test('the exposition parses, counts ingestion and requests by route, and leaks no lead data', async (t) => {
  const baton = await buildTestApp(t)
  const { ok } = apiClient(baton)
  const { lead } = await ok(
    'POST',
    '/v1/leads',
    { email: 'secret.person@acme.example', company: 'Acme', signals: { demoRequested: true } },
    201,
    'integration',
  )
  await ok('POST', '/v1/leads', { email: 'secret.person@acme.example' }, 200, 'integration')
  await ok('POST', '/v1/leads', { email: 'cold@acme.example' }, 201, 'integration')
  await ok('GET', `/v1/leads/${lead.id}`, undefined, 200, 'integration')

  const res = await baton.app.inject({ method: 'GET', url: '/metrics' })
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-type'], /^text\/plain; version=0\.0\.4/)
  const families = parsePrometheus(res.body)
  t.equal(valueOf(families, 'baton_leads_ingested_total', { outcome: 'qualified' }), 1)
  t.equal(valueOf(families, 'baton_leads_ingested_total', { outcome: 'duplicate' }), 1)
  t.equal(
    valueOf(families, 'baton_leads_ingested_total', { outcome: 'nurture' }) +
      valueOf(families, 'baton_leads_ingested_total', { outcome: 'disqualified' }),
    1,
    'the cold lead',
  )
  t.equal(countOf(families, 'baton_http_request_duration_seconds', { method: 'POST', route: '/v1/leads', status_code: '201' }), 2)
  t.equal(countOf(families, 'baton_http_request_duration_seconds', { method: 'POST', route: '/v1/leads', status_code: '200' }), 1)
  t.equal(
    countOf(families, 'baton_http_request_duration_seconds', { method: 'GET', route: '/v1/leads/:id', status_code: '200' }),
    1,
    'by route template, not by id',
  )
  t.equal(family(families, 'baton_http_request_duration_seconds')?.type, 'histogram')
  t.ok(valueOf(families, 'baton_db_pool_connections', { state: 'total' }) >= 1, 'pool usage')
  t.ok(
    family(families, 'baton_queue_jobs')?.samples.some((m) => m.labels.queue === 'handoff-deadline'),
    'queue depth per pg-boss queue',
  )
  t.ok(family(families, 'baton_process_resident_memory_bytes'), 'process metrics')
  t.notOk(res.body.includes('secret.person') || res.body.includes(lead.id), 'no email, no lead id')
  t.notOk((await baton.app.inject({ method: 'GET', url: '/metrics' })).body.includes('route="/metrics"'), 'scrapes are not counted')
})

t.test('handoff outcomes and deadline lateness', async (t) => {
  const h = await handoffHarness(t)
  const {
    repIds: [repId],
  } = await h.setup(1, { acceptWithinSeconds: 60 })
  const first = await h.postLead()
  await h.ok('POST', `/v1/handoffs/${first.handoff.id}/accept`, {}, 200, 'rep', repId)
  await h.ok('POST', `/v1/handoffs/${first.handoff.id}/accept`, {}, 200, 'rep', repId)
  const second = await h.postLead()
  h.baton.clock.advance(62_500)
  t.equal(await h.service.expire(second.handoff.id), 'expired')
  const families = parsePrometheus((await h.baton.app.inject({ method: 'GET', url: '/metrics' })).body)
  t.equal(valueOf(families, 'baton_handoffs_total', { outcome: 'accepted' }), 1, 'accepting twice counts once')
  t.equal(valueOf(families, 'baton_handoffs_total', { outcome: 'expired' }), 1)
  const lateness = 'baton_deadline_lateness_seconds'
  t.equal(countOf(families, lateness), 1)
  t.equal(sampleValue(families, lateness, {}, `${lateness}_sum`), 2.5, 'expired 2.5 s after its deadline')
  t.equal(bucket(families, lateness, '2'), 0)
  t.equal(bucket(families, lateness, '5'), 1)
})

t.test('webhook attempts by result and deliveries by outcome', async (t) => {
  const baton = await buildTestApp(t, { realTime: true, env: { WEBHOOK_RETRY_SCHEDULE: '0,0.2', WEBHOOK_TIMEOUT_SECONDS: '1' } })
  const { ok } = apiClient(baton)
  const receiver = await startReceiver(t, (_r, res, index) => res.writeHead(index === 0 ? 500 : 200).end())
  await ok('POST', '/v1/webhook-endpoints', { url: receiver.url(), eventTypes: ['lead.received'] }, 201)
  await ok('POST', '/v1/leads', { email: 'hook@acme.example' }, 201, 'integration')
  const families = await waitFor(async () => {
    const parsed = parsePrometheus((await baton.app.inject({ method: 'GET', url: '/metrics' })).body)
    return valueOf(parsed, 'baton_webhook_deliveries_total', { outcome: 'succeeded' }) === 1 ? parsed : undefined
  }, 5000)
  t.ok(families, 'the delivery succeeded')
  t.equal(valueOf(families!, 'baton_webhook_deliveries_total', { outcome: 'retrying' }), 1, 'after the first attempt failed')
  t.equal(countOf(families!, 'baton_webhook_attempt_duration_seconds', { result: 'http' }), 1)
  t.equal(countOf(families!, 'baton_webhook_attempt_duration_seconds', { result: 'success' }), 1)
})

t.test('METRICS_TOKEN guards the endpoint; METRICS_ENABLED=false removes it', async (t) => {
  const guarded = await buildTestApp(t, { env: { METRICS_TOKEN: 'scrape-token-0123456789' } })
  const get = (app: typeof guarded, authorization?: string) =>
    app.app.inject({ method: 'GET', url: '/metrics', headers: authorization ? { authorization } : {} })
  t.equal((await get(guarded)).statusCode, 401)
  t.match((await get(guarded)).json(), { status: 401, detail: /METRICS_TOKEN/ })
  t.equal((await get(guarded, 'Bearer wrong-token-0123456789x')).statusCode, 401)
  t.equal((await get(guarded, `Bearer ${await guarded.token('admin')}`)).statusCode, 401, 'an API token is not the scrape token')
  t.equal((await get(guarded, 'Bearer scrape-token-0123456789')).statusCode, 200)
  t.equal((await get(guarded, 'Bearer scrape-token-012345678é')).statusCode, 401, 'a non-ASCII header of the same length: 401, not a 500')

  const off = await buildTestApp(t, { env: { METRICS_ENABLED: 'false' } })
  t.equal((await get(off)).statusCode, 404)
  t.equal((await off.app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200, 'the rest is unaffected')
})

t.test('the test parser refuses what the format does not allow', async (t) => {
  t.throws(() => parsePrometheus('x_total 1\n'), /no # TYPE/)
  t.throws(() => parsePrometheus('# TYPE x counter\nx{a="1} 1\n'), /unterminated/)
  t.throws(() => parsePrometheus('# TYPE x counter\nx one\n'), /not a number/)
  t.throws(() => parsePrometheus('# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n'), /cumulative/)
  t.throws(() => parsePrometheus('# TYPE h histogram\nh_bucket{le="+Inf"} 2\nh_sum 1\nh_count 3\n'), /\+Inf/)
  t.same(parsePrometheus('# HELP x A "thing"\n# TYPE x gauge\nx{path="C:\\\\dir",msg="a\\"b\\nc"} -Inf 1395066363000\n')[0], {
    name: 'x',
    help: 'A "thing"',
    type: 'gauge',
    samples: [{ name: 'x', labels: { path: 'C:\\dir', msg: 'a"b\nc' }, value: -Infinity }],
  })
})
