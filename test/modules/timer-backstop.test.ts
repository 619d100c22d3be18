// The timer backstop (issue 17, finding 2): deleting one handoff's row from pgboss.job left
// the handoff pending 6.5 minutes past its deadline, across a restart, and the rep's accept
// got 409. Every timer whose job is lost is now fired by the minute's backstop run.
import t from 'tap'
import { LOST_AFTER_MS } from '../../src/modules/handoffs/timer-backstop.ts'
import { handoffHarness, type HandoffHarness } from '../helpers/handoffs.ts'

function backstopOf(h: HandoffHarness) {
  return h.baton.services.timerBackstop
}

const deleteJob = (h: HandoffHarness, id: string) => h.sql<{ id: string }>('delete from pgboss.job where id = $1 returning id', [id])
const statusOf = async (h: HandoffHarness, handoffId: string) =>
  (await h.sql<{ status: string }>('select status from handoffs where id = $1', [handoffId]))[0]?.status
const typesOf = async (h: HandoffHarness, leadId: string) => (await h.events(leadId)).map((event) => event.type)

t.test('a handoff whose deadline job was deleted is expired and re-routed by the backstop', async (t) => {
  const h = await handoffHarness(t)
  const { repIds } = await h.setup(2)
  const { lead, handoff } = await h.postLead()
  t.equal((await deleteJob(h, handoff.id)).length, 1, 'the probe: the deadline job row is gone')
  const backstop = backstopOf(h)

  h.pastDeadline(handoff, LOST_AFTER_MS - 1000)
  t.match(await backstop.run(), { handoff_deadline: { found: 0 } }, "29 s past the deadline: still the job's to fire, left alone")
  t.equal(await statusOf(h, handoff.id), 'pending')
  const tooLate = await h.call('POST', `/v1/handoffs/${handoff.id}/accept`, undefined, 'rep', handoff.repId)
  t.equal(tooLate.statusCode, 409, 'the rep cannot accept past the deadline (as in the probe)')

  h.pastDeadline(handoff, LOST_AFTER_MS + 1000)
  t.match(await backstop.run(), { handoff_deadline: { found: 1, done: 1, failed: 0 } }, '31 s past: fired')
  t.equal(await statusOf(h, handoff.id), 'expired')
  const next = await h.pendingOf(lead.id)
  t.ok(next, 'the lead was offered to the next rep')
  t.equal(
    next.repId,
    repIds.find((id) => id !== handoff.repId),
    'the other rep',
  )
  t.match(await typesOf(h, lead.id), [
    'lead.received',
    'lead.scored',
    'lead.qualified',
    'lead.assigned',
    'handoff.expired',
    'lead.rerouted',
    'lead.assigned',
  ])
  const [job] = await h.sql<{ id: string }>("select id from pgboss.job where name = 'handoff-deadline' and id = $1", [next.id])
  t.ok(job, 'the new offer has its own deadline job')

  t.match(await backstop.run(), { handoff_deadline: { found: 0 } }, 'a second run finds nothing')
  const { values } = await h.baton.deps.metrics.registry.getSingleMetric('baton_timers_recovered_total')!.get()
  t.match(
    values.find((v) => v.labels.kind === 'handoff_deadline'),
    { value: 1 },
    'counted in baton_timers_recovered_total (beside the reminder no worker sent here)',
  )
})

t.test('answered handoffs are left alone; only what is still pending is fired', async (t) => {
  const h = await handoffHarness(t)
  await h.setup(2)
  const accepted = (await h.postLead()).handoff
  await h.ok('POST', `/v1/handoffs/${accepted.id}/accept`, undefined, 200, 'rep', accepted.repId)
  await deleteJob(h, accepted.id)
  const { lead, handoff: declined } = await h.postLead()
  await h.ok('POST', `/v1/handoffs/${declined.id}/decline`, { reason: 'not mine' }, 200, 'rep', declined.repId)
  const reoffer = await h.pendingOf(lead.id)
  h.pastDeadline(reoffer, LOST_AFTER_MS + 1000)
  t.match(await backstopOf(h).run(), { handoff_deadline: { found: 1, done: 1 } }, 'one pending handoff past due: the re-offer')
  t.equal(await statusOf(h, accepted.id), 'accepted', 'accepted stays accepted')
  t.equal(await statusOf(h, declined.id), 'declined', 'declined stays declined')
  t.equal(await statusOf(h, reoffer.id), 'expired', 'the re-offer, past due, expired (its job, run later, finds nothing to do)')
  t.equal(await h.service.expire(reoffer.id), 'not_pending')
})

t.test('an overdue first contact whose job was deleted is announced once', async (t) => {
  const h = await handoffHarness(t)
  await h.setup(1)
  const { lead, handoff } = await h.postLead()
  await h.ok('POST', `/v1/handoffs/${handoff.id}/accept`, undefined, 200, 'rep', handoff.repId)
  const [task] = await h.sql<{ id: string; due_at: Date }>('select id, due_at from tasks where lead_id = $1', [lead.id])
  t.equal((await deleteJob(h, task!.id)).length, 1, 'the contact-overdue job row is gone')
  const backstop = backstopOf(h)

  h.baton.clock.advance(task!.due_at.getTime() + LOST_AFTER_MS + 1000 - h.baton.clock.now().getTime())
  t.match(await backstop.run(), { contact_overdue: { found: 1, done: 1, failed: 0 } })
  const overdue = (await h.events(lead.id)).filter((event) => event.type === 'lead.contact_overdue')
  t.equal(overdue.length, 1, 'lead.contact_overdue went out')
  t.match(overdue[0]!.data, { task: { id: task!.id }, overdueBySeconds: 31 })
  t.match(await backstop.run(), { contact_overdue: { found: 0 } }, 'and only once')
})

t.test("an unrouted lead whose retry job was deleted is routed when its rep's window opens", async (t) => {
  const h = await handoffHarness(t)
  // The clock starts Monday 09:00 UTC; the only rep works from 10:00.
  const repId = await h.newRep({ workingHours: { mon: [{ start: '10:00', end: '17:00' }] } })
  await h.routeTo(await h.newTeam([repId]))
  const { lead } = await h.postLead()
  t.equal((await h.lead(lead.id)).status, 'unrouted')
  const deleted = await h.sql<{ id: string }>("delete from pgboss.job where name = 'route-lead' and data->>'leadId' = $1 returning id", [
    lead.id,
  ])
  t.equal(deleted.length, 1, 'its route-lead job row is gone')
  const backstop = backstopOf(h)

  h.baton.clock.advance(60 * 60_000 + 10_000)
  t.match(await backstop.run(), { unrouted_retry: { found: 0 } }, "10 s after the window opened: still the job's")
  h.baton.clock.advance(LOST_AFTER_MS)
  t.match(await backstop.run(), { unrouted_retry: { found: 1, done: 1, failed: 0 } })
  t.match(await h.lead(lead.id), { status: 'pending_acceptance' })
  t.match(await h.pendingOf(lead.id), { repId })
})

t.test('one item that fails does not stop the others, and is tried again on the next run', async (t) => {
  const h = await handoffHarness(t)
  await h.setup(3)
  const first = (await h.postLead()).handoff
  const second = (await h.postLead()).handoff
  for (const handoff of [first, second]) await deleteJob(h, handoff.id)
  // A trigger makes expiring the first handoff fail, as a broken row or a bug would.
  await h.sql(`create function fail_first() returns trigger language plpgsql as $$ begin
    if old.id = '${first.id}' and new.status = 'expired' then raise exception 'broken handoff'; end if; return new; end $$`)
  await h.sql('create trigger fail_first before update on handoffs for each row execute function fail_first()')
  h.pastDeadline(second, LOST_AFTER_MS + 1000)
  const backstop = backstopOf(h)
  t.match(await backstop.run(), { handoff_deadline: { found: 2, done: 1, failed: 1 } })
  t.equal(await statusOf(h, first.id), 'pending', 'the broken one is still pending')
  t.equal(await statusOf(h, second.id), 'expired', 'the other was expired all the same')
  await h.sql('drop trigger fail_first on handoffs')
  t.match(await backstop.run(), { handoff_deadline: { found: 1, done: 1, failed: 0 } }, 'mended: the next run expires it')
  t.equal(await statusOf(h, first.id), 'expired')
})
