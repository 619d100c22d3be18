// Issue 17, findings 6, 10 and 11: nosniff on every answer, the accept page unframeable,
// the inbound 413 quoting its own limit, and /metrics never open to the world by accident.
import t from 'tap'
import { ConfigError, loadConfig } from '../../src/config.ts'
import { buildTestApp } from '../helpers/app.ts'
import { freePort } from '../../src/lib/free-port.ts'

t.test('X-Content-Type-Options: nosniff on JSON, problem+json, 404, HTML, /metrics and /docs', async (t) => {
  const baton = await buildTestApp(t, { env: { ROLE: 'api' } })
  const answers = {
    json: await baton.app.inject({ url: '/v1/reps', headers: await baton.auth('admin') }),
    problem: await baton.app.inject({ url: '/v1/reps' }),
    notFound: await baton.app.inject({ url: '/nowhere' }),
    acceptPage: await baton.app.inject({ url: '/v1/handoffs/accept?token=not-a-token' }),
    metrics: await baton.app.inject({ url: '/metrics' }),
    docs: await baton.app.inject({ url: '/docs/' }),
  }
  for (const [name, res] of Object.entries(answers))
    t.equal(res.headers['x-content-type-options'], 'nosniff', `${name} (${res.statusCode})`)
  t.equal(answers.acceptPage.headers['x-frame-options'], 'DENY', 'the accept page cannot be framed')
  t.match(answers.acceptPage.headers['content-security-policy'], /frame-ancestors 'none'/)
})

t.test("the inbound 413 quotes the route's own 256 KiB limit", async (t) => {
  const baton = await buildTestApp(t, { env: { ROLE: 'api' } })
  const source = (
    await baton.app.inject({
      method: 'POST',
      url: '/v1/sources',
      headers: await baton.auth('admin'),
      payload: { name: 'Form', kind: 'generic' },
    })
  ).json()
  const res = await baton.app.inject({
    method: 'POST',
    url: `/v1/inbound/${source.id}`,
    headers: { 'content-type': 'application/json' },
    payload: JSON.stringify({ pad: 'x'.repeat(300 * 1024) }),
  })
  t.equal(res.statusCode, 413)
  t.match(res.json().detail, /256 KiB|262144 bytes|256 KB/, `names the route's limit: ${res.json().detail}`)
  t.notMatch(res.json().detail, /1 MiB|1048576/, "not the app's")
})

t.test('/metrics: refused open on a public HOST; METRICS_PORT serves it on a listener of its own', async (t) => {
  t.throws(() => loadConfig({ HOST: '0.0.0.0' }), ConfigError, 'HOST=0.0.0.0 with an open /metrics refuses to start')
  try {
    loadConfig({ HOST: '0.0.0.0' })
  } catch (error) {
    t.match((error as Error).message, /METRICS_TOKEN, METRICS_PORT .* or METRICS_ENABLED=false/)
  }
  t.doesNotThrow(() => loadConfig({ HOST: '0.0.0.0', METRICS_TOKEN: 'a-long-enough-token' }), 'a token is enough')
  t.doesNotThrow(() => loadConfig({ HOST: '0.0.0.0', METRICS_ENABLED: 'false' }), 'so is no /metrics')
  t.doesNotThrow(() => loadConfig({ HOST: '127.0.0.1' }), 'loopback stays as it was')

  const metricsPort = await freePort()
  const baton = await buildTestApp(t, { env: { ROLE: 'api', METRICS_PORT: String(metricsPort), HOST: '127.0.0.1' } })
  t.equal((await baton.app.inject({ url: '/metrics' })).statusCode, 404, 'not on the main port')
  t.ok(baton.metricsApp, 'a second listener')
  await baton.metricsApp!.listen({ port: metricsPort, host: '127.0.0.1' })
  const scraped = await fetch(`http://127.0.0.1:${metricsPort}/metrics`)
  t.equal(scraped.status, 200)
  t.match(await scraped.text(), /baton_http_request_duration_seconds/)
  t.equal((await fetch(`http://127.0.0.1:${metricsPort}/v1/reps`)).status, 404, 'and nothing else there')
})
