// Who of a team's eligible members gets the lead, by tables: round robin, weighted, least loaded. Pure.
import t from 'tap'
import { turnOrder, weightedCycle, type EligibleMember } from '../../src/modules/routing/rotation.ts'
import { members } from '../helpers/routing-engine.ts'

t.test('round_robin: turn n goes to member (n − 1) mod count', async (t) => {
  const abc = members(['a', 1], ['b', 1], ['c', 1])
  const cases: Array<[number, string[]]> = [
    [1, ['a', 'b', 'c']],
    [2, ['b', 'c', 'a']],
    [3, ['c', 'a', 'b']],
    [4, ['a', 'b', 'c']],
    [302, ['b', 'c', 'a']],
  ]
  for (const [turn, order] of cases) t.same(turnOrder('round_robin', abc, turn), order, `turn ${turn}`)
  t.same(turnOrder('round_robin', [], 1), [], 'nobody eligible, nobody in order')

  const five = members(['a', 1], ['b', 1], ['c', 1], ['d', 1], ['e', 1])
  const counts = new Map<string, number>()
  for (let turn = 1; turn <= 200; turn++) {
    const first = turnOrder('round_robin', five, turn)[0]!
    counts.set(first, (counts.get(first) ?? 0) + 1)
  }
  t.same(Object.fromEntries(counts), { a: 40, b: 40, c: 40, d: 40, e: 40 }, '5 reps × 200 turns: 40 each')
})

t.test('weighted: a smooth cycle, exact shares over every full window', async (t) => {
  const cycles: Array<[string, Array<[string, number]>, string[]]> = [
    [
      '2:1 interleaves',
      [
        ['a', 2],
        ['b', 1],
      ],
      ['a', 'b', 'a'],
    ],
    [
      '1:1:1 is a rotation',
      [
        ['a', 1],
        ['b', 1],
        ['c', 1],
      ],
      ['a', 'b', 'c'],
    ],
    [
      '2:1:1',
      [
        ['a', 2],
        ['b', 1],
        ['c', 1],
      ],
      ['a', 'b', 'c', 'a'],
    ],
    [
      '3:1:1 spreads the heavy rep out',
      [
        ['a', 3],
        ['b', 1],
        ['c', 1],
      ],
      ['a', 'b', 'a', 'c', 'a'],
    ],
    [
      '5:1:1 never gives the light reps two in a row',
      [
        ['a', 5],
        ['b', 1],
        ['c', 1],
      ],
      ['a', 'a', 'b', 'a', 'c', 'a', 'a'],
    ],
  ]
  for (const [name, spec, cycle] of cycles) t.same(weightedCycle(spec.map(([repId, weight]) => ({ repId, weight }))), cycle, name)

  const team211 = members(['a', 2], ['b', 1], ['c', 1])
  for (const n of [1, 2, 5]) {
    for (let start = 1; start <= 8; start++) {
      const counts: Record<string, number> = { a: 0, b: 0, c: 0 }
      for (let turn = start; turn < start + n * 4; turn++) counts[turnOrder('weighted', team211, turn)[0]!]! += 1
      t.same(counts, { a: 2 * n, b: n, c: n }, `${n * 4} turns from turn ${start}`)
    }
  }
  // After the pick, the others follow in member order from the pick on.
  const orders: Array<[number, string[]]> = [
    [1, ['a', 'b', 'c']],
    [2, ['b', 'c', 'a']],
    [3, ['c', 'a', 'b']],
    [4, ['a', 'b', 'c']],
  ]
  for (const [turn, order] of orders) t.same(turnOrder('weighted', team211, turn), order, `2:1:1 turn ${turn}`)
})

t.test('least_loaded: the least open work first, ties rotated by turn', async (t) => {
  const cases: Array<[string, EligibleMember[], number, string[]]> = [
    ['one least loaded, then the others by load', members(['a', 1, 3], ['b', 1, 1], ['c', 1, 1], ['d', 1, 0]), 1, ['d', 'b', 'c', 'a']],
    ['the turn does not move a single least loaded rep', members(['a', 1, 3], ['b', 1, 1], ['c', 1, 0]), 2, ['c', 'b', 'a']],
    ['a tie, turn 1', members(['a', 1, 0], ['b', 1, 0], ['c', 1, 2]), 1, ['a', 'b', 'c']],
    ['a tie, turn 2', members(['a', 1, 0], ['b', 1, 0], ['c', 1, 2]), 2, ['b', 'a', 'c']],
    ['a tie, turn 3', members(['a', 1, 0], ['b', 1, 0], ['c', 1, 2]), 3, ['a', 'b', 'c']],
    ['all equal rotates like round robin', members(['a', 1, 1], ['b', 1, 1], ['c', 1, 1]), 2, ['b', 'c', 'a']],
  ]
  for (const [name, list, turn, order] of cases) t.same(turnOrder('least_loaded', list, turn), order, name)
})
