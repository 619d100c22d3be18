// GET/PUT /v1/notifications (issue 21): the admin targets told of a lead that needs a
// person, and the switches that turn a message off for everyone.
import t from 'tap'
import { harness, rep as toRep } from '../helpers/routing.ts'
import { startReceiver } from '../helpers/receiver.ts'

t.test('notification settings', async (t) => {
  const receiver = await startReceiver(t)
  const h = await harness(t, undefined, { HANDOFF_MAX_ATTEMPTS: '1' })
  const { call, ok, sql } = h
  const notifier = h.baton.services.notifier

  t.test('defaults, and what PUT refuses (nothing saved)', async (t) => {
    t.same(await ok('GET', '/v1/notifications', undefined, 200), { adminTargets: [], messages: {}, updatedAt: null })
    const bad = await call('PUT', '/v1/notifications', { adminTargets: [{ kind: 'email', address: 'nope' }], messages: { lunch: true } })
    t.equal(bad.statusCode, 422)
    t.same(
      bad
        .json()
        .errors.map((e: { pointer: string }) => e.pointer)
        .sort(),
      ['/adminTargets/0/address', '/messages/lunch'],
    )
    t.equal((await call('PUT', '/v1/notifications', { adminTargets: [], messages: {} }, 'rep', await h.newRep())).statusCode, 403)
    t.equal((await call('GET', '/v1/notifications', undefined, 'integration')).statusCode, 403)
    t.same(await sql('select count(*)::int as n from notification_settings'), [{ n: 0 }])
  })

  t.test('a lead with nobody left to offer it to: the admin targets hear of it', async (t) => {
    const settings = await ok(
      'PUT',
      '/v1/notifications',
      { adminTargets: [{ kind: 'slack', url: receiver.url('/ops') }], messages: { reminder: false } },
      200,
    )
    t.match(settings, { adminTargets: [{ kind: 'slack' }], messages: { reminder: false }, updatedAt: h.baton.clock.now().toISOString() })
    const loner = await h.newRep({ name: 'Loner', notificationTargets: [{ kind: 'slack', url: receiver.url('/loner') }] })
    await h.publish([{ name: 'loner', assign: toRep(loner) }])
    const { lead, handoff } = await h.postLead({ company: 'Orphan Inc' })
    await ok('POST', `/v1/handoffs/${handoff.id}/decline`, { reason: 'not mine' }, 200, 'rep', loner)
    t.match(await ok('GET', `/v1/leads/${lead.id}`, undefined, 200), { status: 'escalated' })
    const rows = await sql('select id, rep_id, message from notifications where lead_id = $1 order by message', [lead.id])
    t.match(rows, [
      { rep_id: null, message: 'needs_assignment' },
      { rep_id: loner, message: 'offer' },
    ])
    await notifier.send(rows.map((r: { id: string }) => r.id))
    const ops = JSON.parse(receiver.received.find((r) => r.path === '/ops')!.body)
    t.match(ops.text, /^Needs a person: lead\d+@corp\.example at Orphan Inc$/)
    t.match(ops.blocks[1].text.text, /GET \/v1\/leads\?status=escalated/)
    t.equal(ops.blocks.length, 2, 'no buttons: there is no offer to answer')
  })

  t.test('a message switched off makes no notification; on again, it does', async (t) => {
    const rep = await h.newRep({ notificationTargets: [{ kind: 'slack', url: receiver.url('/rep') }] })
    await h.publish([{ name: 'one', assign: toRep(rep) }])
    await ok('PUT', '/v1/notifications', { adminTargets: [], messages: { offer: false } }, 200)
    const off = await h.postLead()
    t.same(await sql('select id from notifications where lead_id = $1', [off.lead.id]), [])
    await ok('PUT', '/v1/notifications', { adminTargets: [], messages: { offer: true } }, 200)
    const on = await h.postLead()
    t.match(await sql('select message from notifications where lead_id = $1', [on.lead.id]), [{ message: 'offer' }])
  })
})
