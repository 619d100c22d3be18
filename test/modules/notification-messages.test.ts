// Which events tell which rep what (intents), and what each message says: pure, no database.
import t from 'tap'
import { notificationIntents } from '../../src/modules/notifications/intents.ts'
import { messageFor, timeLeft } from '../../src/modules/notifications/messages.ts'
import { classify } from '../../src/modules/notifications/email.ts'

const ref = (id: string) => ({ id, name: id, email: `${id}@x.example` })
const event = (type: string, data: object, id = type) => ({ id, type, leadId: 'lead', data })

t.test('intents: who is told what', async (t) => {
  const intents = notificationIntents([
    event('lead.received', { lead: {} }),
    event('lead.assigned', { rep: ref('ann'), rule: { name: 'desk' } }),
    event('lead.assigned', { rep: ref('max'), rule: { name: 'escalation' } }, 'escalated'),
    event('handoff.reminder', { rep: ref('ann') }),
    event('handoff.expired', { rep: ref('bob') }),
    event('lead.contact_overdue', { task: { repId: 'cat' }, manager: ref('max') }),
    event('lead.contact_overdue', { task: { repId: 'dan' }, manager: null }, 'overdue-2'),
  ])
  t.same(
    intents.map((i) => `${i.eventId} → ${i.repId}: ${i.message}`),
    [
      'lead.assigned → ann: offer',
      'escalated → max: escalation',
      'handoff.reminder → ann: reminder',
      'handoff.expired → bob: moved_on',
      'lead.contact_overdue → cat: contact_overdue',
      'lead.contact_overdue → max: contact_overdue',
      'overdue-2 → dan: contact_overdue',
    ],
  )
})

t.test('intents: a withdrawn offer and the reassign it belongs to tell the rep once', async (t) => {
  const intents = notificationIntents([
    event('handoff.withdrawn', { rep: ref('ann') }),
    event('lead.reassigned', { from: ref('ann'), to: ref('bob'), mode: 'offer' }),
    event('lead.assigned', { rep: ref('bob'), rule: { name: 'reassign' } }),
  ])
  t.same(
    intents.map((i) => `${i.repId}: ${i.message}`),
    ['ann: moved_on', 'bob: offer'],
  )
  t.same(notificationIntents([event('lead.reassigned', { from: ref('ann'), to: ref('ann') })]), [], 'to the same rep: nothing moved')
  t.same(notificationIntents([event('lead.reassigned', { from: ref('ann'), to: null })]).length, 1, 'back into routing')
})

t.test('messages', async (t) => {
  const now = new Date('2026-03-02T08:00:00Z')
  t.equal(timeLeft(now, new Date('2026-03-02T08:25:00Z')), 'in 25 minutes')
  t.equal(timeLeft(now, new Date('2026-03-02T10:05:00Z')), 'in 2 hours 5 minutes')
  t.equal(timeLeft(now, new Date('2026-03-02T09:01:00Z')), 'in 1 hour 1 minute')
  t.equal(timeLeft(now, new Date('2026-03-02T07:00:00Z')), 'now')
  const data = {
    lead: { email: 'ada@acme.example', firstName: 'Ada', company: 'Acme' },
    handoff: { id: 'h', repId: 'r', deadlineAt: '2026-03-02T08:25:00Z' },
  }
  const reminder = messageFor('reminder', { type: 'handoff.reminder', data }, { timeZone: 'Asia/Tokyo', now, link: 'https://b/x' })
  t.equal(reminder.subject, 'Reminder: Ada at Acme is waiting, accept by Mon 17:25 GMT+9 (in 25 minutes)')
  t.same(reminder.links, { accept: 'https://b/x', decline: 'https://b/x&action=decline' })
  const overdue = messageFor(
    'contact_overdue',
    { type: 'lead.contact_overdue', data: { lead: { email: 'x@y.example' }, task: { dueAt: '2026-03-02T07:30:00Z' } } },
    { timeZone: 'Europe/London', now, link: null },
  )
  t.equal(overdue.subject, 'First call overdue: x@y.example')
  t.ok(overdue.lines.includes('The first call was due Mon 07:30 GMT'))
  const escalation = messageFor(
    'escalation',
    { type: 'lead.assigned', data: { ...data, reason: '3 reps let it go' } },
    {
      timeZone: 'UTC',
      now,
      link: null,
    },
  )
  t.match(escalation, {
    subject: /^Escalated to you: Ada at Acme/,
    lines: ['Lead: Ada at Acme', 'Email: ada@acme.example', 'Why you: 3 reps let it go', /Accept by/],
  })
})

t.test('SMTP answers: 4xx and no connection are retried, 5xx is final', async (t) => {
  t.match(classify(Object.assign(new Error('busy'), { responseCode: 451 })), { ok: false, retry: true, error: 'SMTP 451: busy' })
  t.match(classify(Object.assign(new Error('no such user'), { responseCode: 550 })), { ok: false, retry: false })
  t.match(classify(Object.assign(new Error('refused'), { code: 'ECONNECTION' })), { retry: true, error: 'ECONNECTION: refused' })
  t.match(classify('odd'), { retry: true, error: 'odd' })
})
