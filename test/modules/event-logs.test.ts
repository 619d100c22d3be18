// Domain events in the log: one info line per committed event with its ids, never the
// lead's details or a credential; an event rolled back is never logged.
import t from 'tap'
import pino from 'pino'
import { loadConfig } from '../../src/config.ts'
import { signToken } from '../../src/lib/auth-keys.ts'
import { manualClock } from '../../src/lib/clock.ts'
import { errorWithoutValues } from '../../src/lib/logger.ts'
import { appendEvents } from '../../src/modules/events/events.repo.ts'
import { newEvent } from '../../src/modules/events/events.service.ts'
import { startServices } from '../../src/runtime.ts'
import { TEST_SECRET } from '../helpers/app.ts'
import { createTestDatabase } from '../helpers/db.ts'

t.test('committed events are logged with lead and handoff ids; nothing personal or secret is', async (t) => {
  const { url, drop } = await createTestDatabase()
  const lines: string[] = []
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) })
  const config = loadConfig({ AUTH_SECRET: TEST_SECRET, LOG_LEVEL: 'info', WEBHOOK_ALLOW_PRIVATE: 'true', DATABASE_URL: url, ROLE: 'api' })
  const clock = manualClock()
  const services = await startServices(config, url, { logger, clock })
  t.teardown(async () => {
    await services.close()
    await drop()
  })
  const key = new TextEncoder().encode(TEST_SECRET)
  const call = async (
    method: 'GET' | 'POST' | 'PUT',
    path: string,
    payload: object | undefined,
    role: 'admin' | 'integration' | 'rep' = 'admin',
    sub?: string,
  ) => {
    const token = await signToken(key, { role, now: clock.now(), ...(sub ? { sub } : {}) })
    const res = await services.app.inject({
      method,
      url: path,
      headers: { authorization: `Bearer ${token}` },
      ...(payload ? { payload } : {}),
    })
    if (res.statusCode >= 300) throw new Error(`${method} ${path}: ${res.statusCode} ${res.body}`)
    return res.json()
  }
  const rep = await call('POST', '/v1/reps', { name: 'Rita Rep', email: 'rita@baton.example', timezone: 'UTC' })
  const team = await call('POST', '/v1/teams', { name: 'Desk', strategy: 'round_robin', members: [{ repId: rep.id }] })
  await call('PUT', '/v1/routing', { rules: [{ name: 'all', assign: { type: 'team', teamId: team.id } }], fallback: null })
  const endpoint = await call('POST', '/v1/webhook-endpoints', { url: 'http://127.0.0.1:9/hook', eventTypes: ['webhook_endpoint.*'] })
  const { lead, handoff } = await call(
    'POST',
    '/v1/leads',
    { email: 'jane.private@acme.example', phone: '+49 30 1234567', firstName: 'Jane', signals: { demoRequested: true } },
    'integration',
  )
  await call('POST', `/v1/handoffs/${handoff.id}/accept`, {}, 'rep', rep.id)
  await new Promise((resolve) => setImmediate(resolve))

  const parsed = lines.map((line) => JSON.parse(line) as Record<string, unknown>)
  const events = parsed.filter((line) => line.msg === 'event')
  const types = events.filter((e) => e.leadId === lead.id).map((e) => e.event)
  t.same(types.slice(0, 4), ['lead.received', 'lead.scored', 'lead.qualified', 'lead.assigned'], 'in the order they happened')
  t.ok(types.includes('handoff.accepted') && types.includes('task.created'))
  t.match(
    events.find((e) => e.event === 'lead.assigned'),
    { level: 30, leadId: lead.id, handoffId: handoff.id, eventId: /^[0-9a-f-]{36}$/ },
  )
  t.match(
    events.find((e) => e.event === 'handoff.accepted'),
    { leadId: lead.id, handoffId: handoff.id },
  )
  const all = lines.join('\n')
  for (const secret of ['jane.private', '1234567', 'Jane', endpoint.secret.slice(6), TEST_SECRET]) {
    t.notOk(all.includes(secret), `the log never shows ${secret.slice(0, 12)}…`)
  }
  t.notOk(/token=[A-Za-z0-9_-]{20,}/.test(all), 'no accept-link token')

  const rolledBack = newEvent('lead.received', { lead: { id: lead.id } }, clock.now(), lead.id)
  await t.rejects(
    services.deps.db.transaction(async (tx) => {
      await appendEvents(tx, services.deps, [rolledBack])
      throw new Error('roll back')
    }),
  )
  await new Promise((resolve) => setImmediate(resolve))
  t.notOk(
    lines.some((line) => line.includes(rolledBack.id)),
    'an event rolled back is not logged',
  )
})

t.test('a failed query is logged with its SQL but without the values it carried', async (t) => {
  const { DrizzleQueryError } = await import('drizzle-orm/errors')
  const cause = Object.assign(new Error('duplicate key value violates unique constraint'), {
    code: '23505',
    detail: 'Key (email)=(jane@acme.example) already exists.',
  })
  const error = new DrizzleQueryError(
    'insert into leads (email, phone) values ($1, $2)',
    ['jane@acme.example', '+49 30 1234567\nsecond line'],
    cause,
  )
  const logged = JSON.stringify(errorWithoutValues(error))
  t.match(logged, /insert into leads \(email, phone\) values \(\$1, \$2\)/, 'the statement stays')
  t.match(logged, /params: \[redacted\]/)
  t.notOk(/jane@acme|1234567|second line/.test(logged), 'no value from params, message, stack or detail')
  const plain = errorWithoutValues(Object.assign(new Error('boom'), { code: 'E1' }))
  t.match(plain, { type: 'Error', message: 'boom', code: 'E1' }, 'other errors as pino logs them')
})
