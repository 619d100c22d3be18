// The documented event payloads (src/modules/events/event-payloads.ts) checked against the
// real thing: a lead lifecycle driven through the API emits nearly every event type, and
// every body from GET /v1/events, the events table and real webhook deliveries must match
// its type's schema exactly (no missing, no extra fields).
import t, { type Test } from 'tap'
import { FormatRegistry, type TSchema } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { Ajv } from 'ajv'
import addFormats from 'ajv-formats'
import { Webhook } from 'standardwebhooks'
import { EVENT_DATA, SPEC_COMPONENTS, eventPayloadSchema, webhooksSection } from '../../src/modules/events/event-payloads.ts'
import { EVENT_TYPES, type EventType } from '../../src/modules/events/events.schemas.ts'
import { apiClient } from '../helpers/api.ts'
import { buildTestApp } from '../helpers/app.ts'
import { startReceiver } from '../helpers/receiver.ts'
import { waitFor } from '../helpers/wait.ts'

// TypeBox's Value.Check knows no string formats until told (Ajv, in the app, has ajv-formats).
FormatRegistry.Set('uuid', (v) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(v))
FormatRegistry.Set('date-time', (v) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(v) && !Number.isNaN(Date.parse(v)))
FormatRegistry.Set('date', (v) => /^\d{4}-\d\d-\d\d$/.test(v))
FormatRegistry.Set('uri', (v) => URL.canParse(v))

const MINUTE = 60_000

interface Body {
  id: string
  type: string
  timestamp: string
  sequence: number | null
  data: Record<string, unknown>
}

/** Every body checked against its type's schema; the first errors of any that fail go to the log. */
function checkBodies(t: Test, bodies: Body[], where: string) {
  const byType = Map.groupBy(bodies, (b) => b.type)
  for (const [type, group] of byType) {
    t.ok((EVENT_TYPES as readonly string[]).includes(type), `${type} is a known event type`)
    const failing = group.filter((body) => !Value.Check(eventPayloadSchema(type as EventType), body))
    for (const body of failing.slice(0, 2)) {
      for (const e of [...Value.Errors(eventPayloadSchema(type as EventType), body)].slice(0, 5))
        t.comment(`${type} ${body.id}: ${e.path} ${e.message} (got ${JSON.stringify(e.value)?.slice(0, 120)})`)
    }
    t.equal(failing.length, 0, `${where}: all ${group.length} ${type} bodies match the documented schema`)
  }
}

/** Every `$ref` in a JSON value. */
const refsIn = (value: unknown): string[] =>
  Array.isArray(value)
    ? value.flatMap(refsIn)
    : value && typeof value === 'object'
      ? Object.entries(value).flatMap(([k, v]) => (k === '$ref' && typeof v === 'string' ? [v] : refsIn(v)))
      : []
const hasKey = (value: unknown, key: string): boolean =>
  Array.isArray(value)
    ? value.some((v) => hasKey(v, key))
    : !!value && typeof value === 'object' && Object.entries(value).some(([k, v]) => k === key || hasKey(v, key))

t.test('a lead lifecycle: every event body is as documented', async (t) => {
  const baton = await buildTestApp(t, { env: { ROLE: 'api', HANDOFF_MAX_ATTEMPTS: '2', AUTO_AWAY_AFTER: '1' } })
  const { ok, sql } = apiClient(baton)
  const { handoffs, tasks } = baton.services
  let leads = 0
  const postLead = (body: object, status = 201) => ok('POST', '/v1/leads', body, status, 'integration')
  const demoLead = () =>
    postLead({ email: `lead${++leads}@acme.example`, company: 'Acme', country: 'DE', source: 'web', signals: { demoRequested: true } })
  const newRep = async (name: string): Promise<string> =>
    (await ok('POST', '/v1/reps', { name, email: `${name.toLowerCase()}@baton.example`, timezone: 'UTC' }, 201)).id
  const pendingOf = async (leadId: string) =>
    (
      await sql<{ id: string; rep_id: string; deadline_at: Date }>(
        "select id, rep_id, deadline_at from handoffs where lead_id = $1 and status = 'pending'",
        [leadId],
      )
    )[0]
  const decline = (h: { id: string; rep_id: string }, reason: string) =>
    ok('POST', `/v1/handoffs/${h.id}/decline`, { reason }, 200, 'rep', h.rep_id)
  const accept = (h: { id: string; repId: string }) => ok('POST', `/v1/handoffs/${h.id}/accept`, undefined, 200, 'rep', h.repId)
  const taskOf = async (leadId: string) =>
    (await sql<{ id: string; due_at: Date }>('select id, due_at from tasks where lead_id = $1', [leadId]))[0]!

  // Before any routing: disqualified, nurtured, and a qualified lead nobody can take.
  await postLead({ email: 'someone@gmail.com', signals: { demoRequested: true } })
  const small = await postLead({ email: 'info@tiny.example', employees: 3 })
  t.equal(small.lead.status, 'nurture')
  t.equal((await demoLead()).lead.status, 'unrouted')

  const [repA, repB, manager] = [await newRep('Ada'), await newRep('Bo'), await newRep('Mia')]
  const team = await ok(
    'POST',
    '/v1/teams',
    { name: 'Sales', strategy: 'round_robin', members: [{ repId: repA }, { repId: repB }], managerId: manager },
    201,
  )
  await ok('PUT', '/v1/routing', { rules: [{ name: 'everyone', assign: { type: 'team', teamId: team.id } }], fallback: null }, 200)

  // The nurtured lead again, now asking for a demo: duplicate, promoted, assigned. Both reps
  // decline it, it goes up to the manager, who declines too: escalated with nobody left.
  const promoted = await postLead({ email: 'info@tiny.example', signals: { demoRequested: true } }, 200)
  t.match(promoted, { duplicate: true, lead: { status: 'pending_acceptance' } })
  await decline((await pendingOf(promoted.lead.id))!, 'Not my territory')
  await decline((await pendingOf(promoted.lead.id))!, 'On holiday')
  const toManager = (await pendingOf(promoted.lead.id))!
  t.equal(toManager.rep_id, manager, 'escalated to the team manager')
  await decline(toManager, 'Too small for us')
  t.equal((await ok('GET', `/v1/leads/${promoted.lead.id}`, undefined, 200)).status, 'escalated')

  // Accepted, contacted (the task completes), converted.
  const won = await demoLead()
  await accept(won.handoff)
  await ok('POST', `/v1/leads/${won.lead.id}/activities`, { type: 'call', note: 'Booked a demo' }, 201, 'rep', won.handoff.repId)
  await ok('POST', `/v1/leads/${won.lead.id}/convert`, { amount: 12000, currency: 'EUR', name: 'Acme pilot', closeDate: '2030-01-31' }, 200)
  // The CRM reports the deal: lost at first, then reopened and won.
  await ok('POST', `/v1/leads/${won.lead.id}/outcome`, { result: 'lost' }, 200, 'integration')
  await ok('POST', `/v1/leads/${won.lead.id}/outcome`, { result: 'won', amount: 15000 }, 200, 'integration')

  // Accepted, first contact overdue, task completed by hand, closed.
  const slow = await demoLead()
  await accept(slow.handoff)
  const task = await taskOf(slow.lead.id)
  baton.clock.advance(task.due_at.getTime() - baton.clock.now().getTime() + MINUTE)
  t.equal(await tasks.overdue(task.id), 'overdue')
  await ok('POST', `/v1/tasks/${task.id}/complete`, undefined, 200, 'rep', slow.handoff.repId)
  await ok('POST', `/v1/leads/${slow.lead.id}/close`, { reason: 'No budget' }, 200)

  // Reminded half-way through the window, accepted, and never contacted: with onOverdue
  // reassign, the lead moves on to a rep who has not had it.
  const { version: _version, createdAt: _createdAt, ...model } = await ok('GET', '/v1/scoring', undefined, 200)
  const firstContact = { high: 300, demo: 1800, standard: 3600, onOverdue: 'reassign' }
  await ok('PUT', '/v1/scoring', { ...model, firstContact }, 200)
  const uncontacted = await demoLead()
  const [reminder] = uncontacted.handoff.reminders
  baton.clock.advance(Date.parse(reminder.at) - baton.clock.now().getTime())
  t.equal(await handoffs.remind(uncontacted.handoff.id, reminder.beforeSeconds), 'reminded')
  await accept(uncontacted.handoff)
  const dropped = await taskOf(uncontacted.lead.id)
  baton.clock.advance(dropped.due_at.getTime() - baton.clock.now().getTime() + MINUTE)
  t.equal(await tasks.overdue(dropped.id), 'reassigned')

  // Closed while its handoff waits: the handoff is withdrawn with it.
  const withdrawn = await demoLead()
  await ok('POST', `/v1/leads/${withdrawn.lead.id}/close`, { reason: 'Spam' }, 200)

  // Reassigned by an admin: an owned lead offered to another rep, who accepts; then transferred.
  const moved = await demoLead()
  await accept(moved.handoff)
  const next = moved.handoff.repId === repA ? repB : repA
  const offered = await ok('POST', `/v1/leads/${moved.lead.id}/reassign`, { repId: next, reason: 'territory' }, 200)
  await accept(offered.handoff)
  await ok('POST', `/v1/leads/${moved.lead.id}/reassign`, { repId: manager, mode: 'transfer', reason: 'key account' }, 200)

  // A rep goes away for an hour, handing its pending offer back; an hour later it is back.
  const handedBack = await demoLead()
  const until = new Date(baton.clock.now().getTime() + 60 * MINUTE).toISOString()
  await ok('PATCH', '/v1/reps/me', { awayUntil: until, handBack: 'pending' }, 200, 'rep', handedBack.handoff.repId)
  baton.clock.advance(60 * MINUTE)
  t.equal(await baton.services.reps.returnFromAway(handedBack.handoff.repId), 'available')

  // A deadline passes: expired, the rep set away (AUTO_AWAY_AFTER=1), re-routed.
  const late = await demoLead()
  baton.clock.advance(Date.parse(late.handoff.deadlineAt) - baton.clock.now().getTime() + 1000)
  t.equal(await handoffs.expire(late.handoff.id), 'expired')

  const rows = await sql<Body & { lead_id: string | null; created_at: Date }>(
    'select id, type, created_at, sequence, data, lead_id from events order by position',
  )
  const fromTable: Body[] = rows.map((r) => ({
    id: r.id,
    type: r.type,
    timestamp: r.created_at.toISOString(),
    sequence: r.sequence,
    data: r.data,
  }))
  const readFeed = async () => {
    const all: Body[] = []
    let after = ''
    for (;;) {
      const page = await ok('GET', `/v1/events?limit=500${after ? `&after=${after}` : ''}`, undefined, 200)
      all.push(...page.data)
      if (!page.hasMore) return all
      after = page.nextCursor
    }
  }
  const feed =
    (await waitFor(async () => {
      const f = await readFeed()
      return f.length >= fromTable.length ? f : undefined
    }, 5000)) ?? []
  const byId = (a: Body, b: Body) => a.id.localeCompare(b.id)

  t.test('the feed serves exactly the rows of the events table', async (t) => {
    t.equal(feed.length, fromTable.length)
    t.same([...feed].sort(byId), [...fromTable].sort(byId))
  })

  t.test('every event type but the unbuilt ones was emitted', async (t) => {
    const expected = EVENT_TYPES.filter((type) => type !== 'webhook_endpoint.disabled')
    t.same([...new Set(fromTable.map((e) => e.type))].sort(), [...expected].sort())
    t.ok(
      fromTable.some((e) => e.type === 'lead.escalated' && e.data.handoff === null),
      'lead.escalated with nobody left',
    )
    t.ok(
      fromTable.some((e) => e.type === 'lead.escalated' && e.data.handoff !== null),
      'lead.escalated to a manager',
    )
    t.ok(
      fromTable.some((e) => e.type === 'lead.closed' && e.data.handoff),
      'lead.closed withdrawing a handoff',
    )
    t.ok(
      fromTable.some((e) => e.type === 'lead.closed' && !('handoff' in e.data)),
      'lead.closed with no handoff',
    )
    t.ok(
      fromTable.some((e) => e.type === 'lead.assigned' && (e.data.rule as { name: string }).name === 'escalation'),
      'lead.assigned of an escalation',
    )
  })

  t.test('every body matches its documented schema', async (t) => {
    checkBodies(t, feed, 'GET /v1/events')
    checkBodies(t, fromTable, 'events table')
  })

  t.test('the schemas are strict: an undocumented field or a wrong type fails', async (t) => {
    const assigned = fromTable.find((e) => e.type === 'lead.assigned')!
    const schema = eventPayloadSchema('lead.assigned')
    t.ok(Value.Check(schema, assigned))
    t.notOk(Value.Check(schema, { ...assigned, data: { ...assigned.data, extra: 1 } }), 'an extra data field')
    t.notOk(
      Value.Check(schema, { ...assigned, data: { ...assigned.data, lead: { ...(assigned.data.lead as object), phone: null } } }),
      'an extra lead field',
    )
    t.notOk(Value.Check(schema, { ...assigned, type: 'lead.accepted' }), 'another type')
    t.notOk(Value.Check(schema, { ...assigned, sequence: null }), 'a lead event without a sequence')
  })

  t.test("webhooksSection(): one plain-JSON entry per type, $refs only to the spec's components", async (t) => {
    const section = webhooksSection() as Record<string, { post: Record<string, unknown> }>
    t.same(Object.keys(section), [...EVENT_TYPES], 'one entry per EVENT_TYPES item, in order')
    t.same(JSON.parse(JSON.stringify(section)), section, 'plain JSON')
    t.notOk(hasKey(section, '$id'), 'no $id left')
    const spec = await ok('GET', '/openapi.json', undefined, 200)
    const components = new Set(Object.keys(spec.components.schemas))
    t.same(
      [...SPEC_COMPONENTS].filter((id) => !components.has(id)),
      [],
      "SPEC_COMPONENTS are all in the served spec's components",
    )
    const refs = new Set(refsIn(section))
    t.same(
      [...refs].filter((ref) => !/^#\/components\/schemas\/(\w+)$/.test(ref) || !SPEC_COMPONENTS.has(ref.split('/').pop()!)),
      [],
      'every $ref names a component',
    )
    t.ok(refs.has('#/components/schemas/Handoff') && refs.has('#/components/schemas/Task'), 'Handoff and Task are references')
    for (const type of EVENT_TYPES) {
      const post = section[type]!.post as {
        tags: string[]
        parameters: Array<{ name: string; in: string }>
        requestBody: { required: boolean; content: Record<string, { schema: { properties: { type: { const: string } } } }> }
        responses: Record<string, unknown>
        description: string
      }
      t.match(
        post,
        {
          summary: type,
          tags: ['webhooks'],
          requestBody: { required: true },
          responses: { '2XX': { description: String }, '410': { description: /disables the endpoint/ } },
        },
        type,
      )
      t.same(
        post.parameters.map((p) => `${p.in}:${p.name}`),
        ['header:webhook-id', 'header:webhook-timestamp', 'header:webhook-signature'],
      )
      t.equal(post.requestBody.content['application/json']!.schema.properties.type.const, type)
      t.ok(post.description.startsWith((EVENT_DATA[type] as TSchema).description as string), 'says when it is sent')
    }

    // The emitted JSON, $refs resolved against the served spec, accepts the real bodies too.
    const ajv = addFormats.default(new Ajv({ strict: false, allErrors: true }))
    for (const [type, group] of Map.groupBy(fromTable, (e) => e.type)) {
      const post = section[type]!.post as { requestBody: { content: Record<string, { schema: object }> } }
      const validate = ajv.compile({ ...post.requestBody.content['application/json']!.schema, components: spec.components })
      const failing = group.filter((body) => !validate(body))
      if (failing.length) t.comment(`${type}: ${ajv.errorsText(validate.errors)}`)
      t.equal(failing.length, 0, `the spec's ${type} schema accepts all ${group.length}`)
    }
  })

  t.test('rep.auto_away names its lead', async (t) => {
    const away = fromTable.find((e) => e.type === 'rep.auto_away')!
    const leadOf = rows.find((r) => r.id === away.id)!.lead_id
    t.equal((away.data.lead as { id: string }).id, leadOf, 'rep.auto_away names the lead its sequence belongs to')
  })
})

t.test('webhook deliveries post the documented bodies; webhook_endpoint.disabled too', async (t) => {
  const baton = await buildTestApp(t, { realTime: true, env: { WEBHOOK_RETRY_SCHEDULE: '0,0.2,0.2,0.2', WEBHOOK_TIMEOUT_SECONDS: '1' } })
  const { ok, sql } = apiClient(baton)
  const receiver = await startReceiver(t)
  const gone = await startReceiver(t, (_r, res) => res.writeHead(410).end('gone'))
  const endpoint = await ok('POST', '/v1/webhook-endpoints', { url: receiver.url() }, 201)
  const doomed = await ok(
    'POST',
    '/v1/webhook-endpoints',
    { url: gone.url(), eventTypes: ['lead.received'], description: 'an old integration' },
    201,
  )
  await ok('POST', '/v1/leads', { email: 'someone@gmail.com' }, 201, 'integration')

  const types = ['lead.received', 'lead.scored', 'lead.disqualified', 'webhook_endpoint.disabled']
  await waitFor(async () => types.every((type) => receiver.received.some((r) => r.body.includes(`"type":"${type}"`))), 10_000)
  const verifier = new Webhook(endpoint.secret)
  const bodies = receiver.received.map((r) => verifier.verify(r.body, r.headers as Record<string, string>) as Body)
  t.same([...new Set(bodies.map((b) => b.type))].sort(), [...types].sort(), 'signed and verifiable, one of each')
  checkBodies(t, bodies, 'webhook bodies')
  const disabled = bodies.find((b) => b.type === 'webhook_endpoint.disabled')
  t.match(disabled, {
    sequence: null,
    data: {
      endpoint: { id: doomed.id, origin: new URL(gone.url()).origin, description: 'an old integration', kind: 'standard' },
      reason: /410/,
      failingSince: String,
    },
  })

  const rows = await sql<Body & { created_at: Date }>('select id, type, created_at, sequence, data from events')
  checkBodies(
    t,
    rows.map((r) => ({ id: r.id, type: r.type, timestamp: r.created_at.toISOString(), sequence: r.sequence, data: r.data })),
    'events table',
  )
})
