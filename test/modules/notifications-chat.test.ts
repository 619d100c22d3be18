// Slack and Teams notifications to a rep's own webhook (issue 21), posted to a real receiver
// on 127.0.0.1: the shapes of the documented examples (Block Kit; an Adaptive Card in a
// message), retries on 429 and 5xx, no retry on 404, and which URLs a target may have.
import { randomBytes } from 'node:crypto'
import t from 'tap'
import { Webhook } from 'standardwebhooks'
import { harness, rep as toRep } from '../helpers/routing.ts'
import { startReceiver } from '../helpers/receiver.ts'
import { buildTestApp } from '../helpers/app.ts'
import { apiClient } from '../helpers/api.ts'

t.test('Slack and Teams notifications', async (t) => {
  const receiver = await startReceiver(t)
  const h = await harness(t)
  const notifier = h.baton.services.notifier
  const slack = { kind: 'slack', url: receiver.url('/slack/T1/B1/x') }
  const teams = { kind: 'teams', url: receiver.url('/teams/workflow') }
  const ada = await h.newRep({ name: 'Ada', timezone: 'Europe/Berlin', notificationTargets: [slack, teams] })
  await h.publish([{ name: 'all', assign: toRep(ada) }])
  const post = async () => {
    const { lead } = await h.postLead({ firstName: 'Grace', lastName: 'Hopper', company: 'Navy Labs' })
    const rows = await h.sql('select id, kind, status, attempts, last_error from notifications where lead_id = $1 order by kind', [lead.id])
    return { lead, rows }
  }
  const bodyAt = (path: string) => JSON.parse(receiver.received.filter((r) => r.path === path).at(-1)!.body)

  t.test('an offer: Block Kit to Slack, an Adaptive Card to Teams, each with Accept and Decline', async (t) => {
    const { rows } = await post()
    t.same(
      rows.map((r: { kind: string }) => r.kind),
      ['slack', 'teams'],
      'one notification per target',
    )
    await notifier.send(rows.map((r: { id: string }) => r.id))

    const block = bodyAt('/slack/T1/B1/x')
    t.match(block.text, /^New lead: Grace Hopper at Navy Labs, accept by Mon 10:30 CET \(in 30 minutes\)$/, 'text: the fallback line')
    t.match(block.blocks[0], { type: 'section', text: { type: 'mrkdwn', text: /^\*New lead: Grace Hopper/ } })
    t.match(block.blocks[1].text.text, /Why you: the rule "all"/)
    const [accept, decline] = block.blocks[2].elements
    t.match(accept, {
      type: 'button',
      style: 'primary',
      text: { type: 'plain_text', text: 'Accept' },
      url: /\/v1\/handoffs\/accept\?token=/,
    })
    t.match(decline, { type: 'button', text: { type: 'plain_text', text: 'Decline' }, url: /&action=decline$/ })
    const page = await h.baton.app.inject({ method: 'GET', url: new URL(decline.url).pathname + new URL(decline.url).search })
    t.equal(page.statusCode, 200, "Slack's Decline opens the handoff page")

    const card = bodyAt('/teams/workflow')
    t.match(card, { type: 'message', attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', contentUrl: null }] })
    const content = card.attachments[0].content
    t.match(content, { type: 'AdaptiveCard', version: '1.4', $schema: 'http://adaptivecards.io/schemas/adaptive-card.json' })
    t.match(content.body[0], { type: 'TextBlock', weight: 'Bolder', wrap: true, text: /^New lead: Grace Hopper/ })
    t.match(content.actions, [
      { type: 'Action.OpenUrl', title: 'Accept', url: /token=/ },
      { type: 'Action.OpenUrl', title: 'Decline', url: /&action=decline$/ },
    ])
    t.match(await h.sql('select status from notifications where id = any($1)', [rows.map((r: { id: string }) => r.id)]), [
      { status: 'sent' },
      { status: 'sent' },
    ])
  })

  t.test('429 and 5xx are retried, any other 4xx fails', async (t) => {
    const answers = new Map([
      ['/slack/T1/B1/x', [429, 200]],
      ['/teams/workflow', [404]],
    ])
    receiver.answerWith((received, res) => res.writeHead(answers.get(received.path)?.shift() ?? 200).end())
    const { lead, rows } = await post()
    await notifier.send(rows.map((r: { id: string }) => r.id))
    const after = async () =>
      h.sql('select kind, status, attempts, last_error from notifications where lead_id = $1 order by kind', [lead.id])
    t.match(await after(), [
      { kind: 'slack', status: 'pending', attempts: 1, last_error: 'HTTP 429' },
      { kind: 'teams', status: 'failed', attempts: 1, last_error: 'HTTP 404' },
    ])
    h.baton.clock.advance(60_000)
    await notifier.send([rows[0].id])
    t.match((await after())[0], { kind: 'slack', status: 'sent', attempts: 2 })
    receiver.answerWith((_received, res) => res.writeHead(200).end())
  })
})

t.test('a webhook target: a Standard Webhooks signed POST; its secret is sealed and never shown again', async (t) => {
  const receiver = await startReceiver(t)
  // Started at the real time: a receiver's verify() refuses a timestamp five minutes off its own clock.
  const h = await harness(t, new Date().toISOString())
  const secret = `whsec_${randomBytes(32).toString('base64')}`
  const rep = await h.newRep({ notificationTargets: [{ kind: 'webhook', url: receiver.url('/tools'), secret }] })
  const shown = await h.ok('GET', `/v1/reps/${rep}`, undefined, 200)
  t.same(
    shown.notificationTargets,
    [{ kind: 'webhook', url: receiver.url('/tools'), secretHint: secret.slice(-4) }],
    'a hint, not the secret',
  )
  const [stored] = await h.sql('select notification_targets as t from reps where id = $1', [rep])
  t.notMatch(JSON.stringify(stored.t), secret.slice(6, 30), 'sealed at rest')

  await h.publish([{ name: 'all', assign: toRep(rep) }])
  const { lead } = await h.postLead({ firstName: 'Grace', company: 'Navy Labs' })
  const [row] = await h.sql("select id from notifications where lead_id = $1 and kind = 'webhook'", [lead.id])
  await h.baton.services.notifier.send([row.id])
  const got = receiver.received.at(-1)!
  const verified = new Webhook(secret).verify(got.body, got.headers as Record<string, string>) as {
    type: string
    data: Record<string, unknown>
  }
  t.equal(got.headers['webhook-id'], row.id, 'webhook-id is the notification id')
  t.match(verified, {
    type: 'notification.offer',
    data: {
      id: row.id,
      message: 'offer',
      repId: rep,
      leadId: lead.id,
      subject: /^New lead: Grace at Navy Labs/,
      links: { accept: /token=/ },
    },
  })

  const kept = await h.call('PATCH', `/v1/reps/${rep}`, { notificationTargets: [{ kind: 'webhook', url: receiver.url('/tools') }] })
  t.equal(kept.statusCode, 200, 'the same URL without its secret keeps the secret')
  t.match(kept.json().notificationTargets, [{ secretHint: secret.slice(-4) }])
  const fresh = await h.call('PATCH', `/v1/reps/${rep}`, { notificationTargets: [{ kind: 'webhook', url: receiver.url('/other') }] })
  t.equal(fresh.statusCode, 422, 'a new URL without a secret')
  t.match(fresh.json().errors, [{ pointer: '/notificationTargets/0/secret' }])
  const weak = await h.call('PATCH', `/v1/reps/${rep}`, {
    notificationTargets: [{ kind: 'webhook', url: receiver.url('/x'), secret: 'hunter2' }],
  })
  t.match([weak.statusCode, weak.json().errors?.[0]?.pointer], [422, '/notificationTargets/0/secret'], 'not a whsec_ secret')
})

t.test('targets: Slack only on hooks.slack.com, Teams only over https, every URL past the SSRF guard', async (t) => {
  const baton = await buildTestApp(t, { env: { ROLE: 'api', WEBHOOK_ALLOW_PRIVATE: 'false' } })
  const { call, sql } = apiClient(baton)
  const create = (notificationTargets: object[]) =>
    call('POST', '/v1/reps', { name: 'Rep', email: `r${Math.random()}@baton.example`, timezone: 'UTC', notificationTargets })
  const cases: Array<[string, object, RegExp]> = [
    [
      'a Slack URL elsewhere',
      { kind: 'slack', url: 'https://example.com/hooks/x' },
      /incoming-webhook URL under https:\/\/hooks\.slack\.com\//,
    ],
    ['Teams over http', { kind: 'teams', url: 'http://teams.example.com/x' }, /https URL/],
    ['a webhook to loopback', { kind: 'webhook', url: 'http://127.0.0.1:9/x', secret: `whsec_${'A'.repeat(44)}` }, /non-public address/],
    ['Teams to a private address', { kind: 'teams', url: 'https://10.0.0.1/x' }, /non-public address/],
  ]
  for (const [name, target, detail] of cases) {
    const res = await create([{ kind: 'email', address: 'ok@mail.example' }, target])
    t.equal(res.statusCode, 422, name)
    t.match(res.json().errors, [{ pointer: '/notificationTargets/1/url', detail }], name)
  }
  const bad = await create([{ kind: 'email', address: 'not an address' }])
  t.equal(bad.statusCode, 422, 'an invalid address')
  t.match(bad.json().errors, [{ pointer: '/notificationTargets/0/address' }])
  t.same(await sql('select count(*)::int as n from reps'), [{ n: 0 }], 'nothing was saved')
  t.equal((await create([{ kind: 'slack', url: 'https://hooks.slack.com/services/T/B/x' }])).statusCode, 201, "Slack's own host")
})
