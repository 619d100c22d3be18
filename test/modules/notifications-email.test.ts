// Email notifications to reps' own targets (issue 21), against a real SMTP server on
// 127.0.0.1: what the mail says and links to, retries on 451, no retry on 550, a server
// that is down, never twice, the backstop for a lost job, and the list a rep or admin reads.
import t from 'tap'
import { harness, rep as toRep } from '../helpers/routing.ts'
import { startSmtp } from '../helpers/smtp.ts'

const ZONE = 'Europe/Berlin'

t.test('email notifications', async (t) => {
  const smtp = await startSmtp(t)
  const h = await harness(t, undefined, { SMTP_URL: smtp.url, MAIL_FROM: 'Baton <baton@example.com>' })
  const { baton, call, ok, sql } = h
  const notifier = baton.services.notifier
  const rowsFor = (leadId: string) =>
    sql('select id, rep_id, message, status, attempts, last_error, next_attempt_at from notifications where lead_id = $1 order by id', [
      leadId,
    ])
  const sendJobs = () => sql(`select data, start_after from pgboss.job where name = 'notification-send' order by created_on`)
  const mailTo = (address: string) => smtp.mails.filter((m) => m.to && !Array.isArray(m.to) && m.to.value[0]?.address === address)

  const ada = await h.newRep({
    name: 'Ada',
    email: 'ada@baton.example',
    timezone: ZONE,
    notificationTargets: [{ kind: 'email', address: 'ada.phone@mail.example' }],
  })
  const bob = await h.newRep({
    name: 'Bob',
    timezone: 'America/New_York',
    notificationTargets: [{ kind: 'email', address: 'bob@mail.example' }],
  })
  const quiet = await h.newRep({ name: 'Quiet' })
  await h.publish([
    { name: 'quiet', when: { field: 'custom.to', op: 'eq', value: 'quiet' }, assign: toRep(quiet) },
    { name: 'bob', when: { field: 'custom.to', op: 'eq', value: 'bob' }, assign: toRep(bob) },
    { name: 'enterprise desk', assign: toRep(ada) },
  ])
  const post = (extra: object = {}) =>
    h.postLead({ firstName: 'Grace', lastName: 'Hopper', company: 'Navy Labs', employees: 250, country: 'US', source: 'webinar', ...extra })

  t.test('an offer: one mail to the rep, in their time, with a link that opens the handoff', async (t) => {
    const jobsBefore = (await sendJobs()).length
    const { lead, handoff } = await post()
    const [row] = await rowsFor(lead.id)
    t.match(row, { rep_id: ada, message: 'offer', status: 'pending', attempts: 0 }, 'written with the lead, in its transaction')
    t.equal((await sendJobs()).length, jobsBefore + 1, 'and one job to send it')
    await notifier.send([row.id])

    const [mail] = mailTo('ada.phone@mail.example')
    t.ok(mail, 'the mail reached the SMTP server')
    t.same(mail!.from?.value, [{ address: 'baton@example.com', name: 'Baton' }])
    t.match(mail!.subject, /^New lead: Grace Hopper at Navy Labs, accept by Mon 10:30 (CET|GMT\+1) \(in 30 minutes\)$/)
    t.equal(mail!.messageId, `<${row.id}@localhost>`, 'the Message-ID is the notification id')
    t.match(mail!.text, /Why you: the rule "enterprise desk"/)
    t.match(mail!.text, /250 employees, US/)
    t.match(mail!.html, /<a href="http:\/\/localhost:3000\/v1\/handoffs\/accept\?token=[^"]+"/)
    const link = /(http:\/\/localhost:3000\/v1\/handoffs\/accept\?token=\S+)/.exec(mail!.text ?? '')![1]!
    const page = await baton.app.inject({ method: 'GET', url: link.replace('http://localhost:3000', '') })
    t.equal(page.statusCode, 200, 'the link opens the handoff page')
    t.match(page.body, /Navy Labs/)
    t.match((await sql('select status from handoffs where id = $1', [handoff.id]))[0], { status: 'pending' }, 'opening it accepted nothing')
    t.match((await rowsFor(lead.id))[0], { status: 'sent', attempts: 1, last_error: null })

    await notifier.send([row.id])
    await Promise.all([notifier.send([row.id]), notifier.send([row.id])])
    t.equal(mailTo('ada.phone@mail.example').length, 1, 'sent once, however often its job runs')
  })

  t.test('a rep with no targets gets nothing, and costs no job', async (t) => {
    const jobsBefore = (await sendJobs()).length
    for (const to of ['quiet']) t.same(await rowsFor((await post({ custom: { to } })).lead.id), [], `${to}: no notification`)
    t.equal((await sendJobs()).length, jobsBefore)
  })

  t.test('SMTP 451 is retried with backoff, then delivered once', async (t) => {
    smtp.refuseNext(451)
    const { lead } = await post({ custom: { to: 'bob' } })
    const [row] = await rowsFor(lead.id)
    await notifier.send([row.id])
    const waiting = (await rowsFor(lead.id))[0]
    t.match(waiting, { status: 'pending', attempts: 1, last_error: /^SMTP 451/ })
    const delay = (waiting.next_attempt_at.getTime() - baton.clock.now().getTime()) / 1000
    t.ok(delay >= 24 && delay <= 36, `the retry waits 30 s ± 20 % (${delay.toFixed(1)} s)`)
    t.match((await sendJobs()).at(-1), { data: { notificationIds: [row.id] } }, 'a retry job for it')
    t.equal(mailTo('bob@mail.example').length, 0)
    baton.clock.advance(40_000)
    await notifier.send([row.id])
    t.match((await rowsFor(lead.id))[0], { status: 'sent', attempts: 2, last_error: null })
    const [mail] = mailTo('bob@mail.example')
    t.match(mail!.subject, /accept by Mon 04:30 EST/, "Bob's mail is in New York time")
    t.equal(mailTo('bob@mail.example').length, 1)
  })

  t.test('SMTP 550 fails at once, and the list says why', async (t) => {
    smtp.refuseNext(550)
    const { lead } = await post({ custom: { to: 'bob' } })
    const [row] = await rowsFor(lead.id)
    const jobsBefore = (await sendJobs()).length
    await notifier.send([row.id])
    t.match((await rowsFor(lead.id))[0], { status: 'failed', attempts: 1, last_error: /^SMTP 550/, next_attempt_at: null })
    t.equal((await sendJobs()).length, jobsBefore, 'no retry')
    const list = await ok('GET', `/v1/reps/${bob}/notifications`, undefined, 200)
    t.match(list.data[0], { id: row.id, leadId: lead.id, message: 'offer', status: 'failed', attempts: 1, lastError: /550/ })
    t.match(list.data[0].target, { kind: 'email', address: 'bob@mail.example' })
  })

  t.test('with the mail server down the lead is routed; the mail goes out once it is back', async (t) => {
    await smtp.stop()
    const { lead, handoff } = await post()
    t.equal(lead.status, 'pending_acceptance', 'routing did not wait for mail')
    t.ok(handoff)
    const [row] = await rowsFor(lead.id)
    await notifier.send([row.id])
    t.match((await rowsFor(lead.id))[0], { status: 'pending', attempts: 1, last_error: /ECONNREFUSED|ECONNECTION|ESOCKET/ })
    await smtp.restart()
    baton.clock.advance(60_000)
    await notifier.send([row.id])
    t.match((await rowsFor(lead.id))[0], { status: 'sent', attempts: 2 })
  })

  t.test('a lost job: the timer backstop sends what is past due', async (t) => {
    const { lead } = await post()
    const [row] = await rowsFor(lead.id)
    await sql(`delete from pgboss.job where name = 'notification-send' and data->'notificationIds' ? $1`, [row.id])
    t.match((await baton.services.timerBackstop.run()).notification, { found: 0 }, 'not yet 30 s late: left to its job')
    baton.clock.advance(31_000)
    const before = mailTo('ada.phone@mail.example').length
    t.match((await baton.services.timerBackstop.run()).notification, { found: 1, done: 1 })
    t.equal(mailTo('ada.phone@mail.example').length, before + 1)
    t.match((await rowsFor(lead.id))[0], { status: 'sent' })
  })

  t.test('an expiry tells the rep it moved on, and the next rep of the offer', async (t) => {
    await h.publish([{ name: 'ada first', assign: toRep(ada) }], toRep(bob))
    const { lead, handoff } = await post()
    baton.clock.advance(31 * 60_000)
    await baton.services.handoffs.expire(handoff.id)
    const rows = await rowsFor(lead.id)
    // Made in one statement, the last two share a millisecond: their ids need not be in order.
    t.same(rows.map((r: { rep_id: string; message: string }) => `${r.rep_id === ada ? 'ada' : 'bob'} ${r.message}`).sort(), [
      'ada moved_on',
      'ada offer',
      'bob offer',
    ])
    await notifier.send(rows.map((r: { id: string }) => r.id))
    const moved = mailTo('ada.phone@mail.example').find((m) => m.subject?.startsWith('Moved on'))!
    t.equal(moved.subject, 'Moved on: Grace Hopper at Navy Labs')
    t.match(moved.text, /The time to accept ran out/)
    t.notMatch(moved.text, /accept\?token=/, 'nothing to act on')
  })

  t.test('GET /v1/reps/:id/notifications: admins read any rep, a rep only itself', async (t) => {
    const mine = await call('GET', `/v1/reps/${ada}/notifications?limit=2`, undefined, 'rep', ada)
    t.equal(mine.statusCode, 200)
    t.equal(mine.json().data.length, 2)
    t.ok(mine.json().nextCursor, 'paged')
    const next = await call('GET', `/v1/reps/${ada}/notifications?limit=2&cursor=${mine.json().nextCursor}`, undefined, 'rep', ada)
    t.ok(
      next.json().data.every((n: { id: string }) => n.id < mine.json().data[1].id),
      'newest first, then older',
    )
    t.equal((await call('GET', `/v1/reps/${bob}/notifications`, undefined, 'rep', ada)).statusCode, 403)
    t.equal((await call('GET', `/v1/reps/${ada}/notifications`, undefined, 'integration')).statusCode, 403)
    t.equal((await call('GET', `/v1/reps/01900000-0000-7000-8000-000000000000/notifications`)).statusCode, 404)
  })
})

t.test('without SMTP_URL, email notifications are recorded as failed, saying why', async (t) => {
  const h = await harness(t)
  const ada = await h.newRep({ notificationTargets: [{ kind: 'email', address: 'ada@mail.example' }] })
  await h.publish([{ name: 'all', assign: toRep(ada) }])
  const { lead } = await h.postLead()
  const [row] = await h.sql('select id from notifications where lead_id = $1', [lead.id])
  await h.baton.services.notifier.send([row.id])
  t.match((await h.sql('select status, last_error from notifications where id = $1', [row.id]))[0], {
    status: 'failed',
    last_error: 'SMTP_URL is not set: this instance sends no email',
  })
})
