// The per-origin slots the webhook sender takes before an attempt: a limit per origin, first
// come first served, a bounded wait, and nothing kept for an origin with nothing in flight.
import t from 'tap'
import { createOriginSlots } from '../../src/modules/webhooks/origin-slots.ts'

const A = 'https://a.example'
const B = 'https://b.example'

t.test('up to the limit at once; the next waits and gets the first slot given back', async (t) => {
  const slots = createOriginSlots(2)
  const first = await slots.take(A, 1000)
  const second = await slots.take(A, 1000)
  t.ok(first && second, 'two slots at once')
  t.ok(await slots.take(B, 1000), 'another origin has its own')
  const order: string[] = []
  const third = slots.take(A, 1000).then((release) => (order.push('third'), release))
  const fourth = slots.take(A, 1000).then((release) => (order.push('fourth'), release))
  t.same(slots.load(A), { active: 2, waiting: 2 })
  first!()
  first!() // a second release of the same slot does nothing
  const thirdRelease = await third
  t.same([order, slots.load(A)], [['third'], { active: 2, waiting: 1 }], 'the first in line got it, the other still waits')
  second!()
  const fourthRelease = await fourth
  t.same(order, ['third', 'fourth'])
  thirdRelease!()
  fourthRelease!()
  t.same(slots.load(A), { active: 0, waiting: 0 }, 'an idle origin is forgotten')
})

t.test('a wait that runs out answers undefined and leaves the line', async (t) => {
  const slots = createOriginSlots(1)
  const held = await slots.take(A, 1000)
  const started = performance.now()
  const late = slots.take(A, 50)
  const patient = slots.take(A, 1000)
  t.equal(await late, undefined, 'no slot within 50 ms')
  t.ok(performance.now() - started >= 45, 'after about 50 ms')
  t.same(slots.load(A), { active: 1, waiting: 1 })
  held!()
  const next = await patient
  t.ok(next, 'the slot went to the one still waiting, not to the one that left')
  next!()
  t.same(slots.load(A), { active: 0, waiting: 0 })
})
