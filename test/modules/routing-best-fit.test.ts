// best_fit on a planted history: rep A wins fintech twice as often as rep B. Most fintech
// leads go to A, B still gets some (Thompson sampling explores), a segment without history
// is shared, and the trace shows every candidate's record and draw.
import t from 'tap'
import { fitOrder, sampleBeta, segmentOf, type FitStats } from '../../src/modules/routing/fit.ts'
import { seeded } from '../../src/lib/random.ts'
import { handoffHarness } from '../helpers/handoffs.ts'

const A = 'a0000000-0000-7000-8000-000000000001'
const B = 'b0000000-0000-7000-8000-000000000002'
const members = [
  { repId: A, weight: 1, load: 0 },
  { repId: B, weight: 1, load: 0 },
]
const planted: FitStats = {
  segment: 'fintech',
  total: { wins: 12, losses: 8 },
  reps: new Map([
    [A, { wins: 8, losses: 2 }],
    [B, { wins: 4, losses: 6 }],
  ]),
}

t.test('fitOrder: the better record is drawn first most of the time, never always', async (t) => {
  const random = seeded(42)
  let aFirst = 0
  for (let i = 0; i < 2000; i++) if (fitOrder(members, planted, { random }).order[0] === A) aFirst++
  t.ok(aFirst > 1500 && aFirst < 1990, `A first in ${aFirst} of 2000 draws`)
  const { estimates } = fitOrder(members, planted, { random, expected: true })
  // Prior: 4 deals at the segment rate (12 + 1) / (20 + 2) = 0.5909 → A (8 + 2.3636) / 14 = 0.7403, B (4 + 2.3636) / 14 = 0.4545.
  t.match(estimates, [
    { repId: A, wins: 8, losses: 2, mean: 0.7403, sample: 0.7403 },
    { repId: B, wins: 4, losses: 6, mean: 0.4545, sample: 0.4545 },
  ])
  t.same(fitOrder(members, planted, { random, expected: true }).order, [A, B], 'expected: by the posterior mean, deterministically')

  let aFirstNoHistory = 0
  for (let i = 0; i < 2000; i++) if (fitOrder(members, undefined, { random }).order[0] === A) aFirstNoHistory++
  t.ok(aFirstNoHistory > 850 && aFirstNoHistory < 1150, `no history: shared about evenly (${aFirstNoHistory} of 2000)`)
})

t.test('sampleBeta matches the Beta mean; segments normalise', async (t) => {
  const random = seeded(7)
  for (const [alpha, beta] of [
    [2, 5],
    [0.5, 0.5],
    [30, 10],
  ] as const) {
    let sum = 0
    for (let i = 0; i < 20_000; i++) sum += sampleBeta(alpha, beta, random)
    t.ok(Math.abs(sum / 20_000 - alpha / (alpha + beta)) < 0.01, `Beta(${alpha}, ${beta}) mean ${(sum / 20_000).toFixed(4)}`)
  }
  t.same([' FinTech ', null, '', 'retail'].map(segmentOf), ['fintech', 'unknown', 'unknown', 'retail'])
})

t.test("end to end: a best_fit team places fintech leads by the reps' records", async (t) => {
  const h = await handoffHarness(t)
  const repA = await h.newRep()
  const repB = await h.newRep()
  const team = await h.ok('POST', '/v1/teams', { name: 'Fit desk', strategy: 'best_fit', members: [{ repId: repA }, { repId: repB }] }, 201)
  await h.routeTo(team.id)
  // History: A won 8 of 10 fintech deals, B 4 of 10; retail: nobody has any.
  for (const [owner, wins, losses] of [
    [repA, 8, 2],
    [repB, 4, 6],
  ] as const) {
    for (let i = 0; i < wins + losses; i++) {
      await h.sql(
        `insert into leads (id, email, industry, status, owner_id, score, qualified, decision, created_at, updated_at, last_submitted_at, outcome, outcome_at)
        values (gen_random_uuid(), $1, 'Fintech', 'converted', $2, 50, true, '{}'::jsonb, now(), now(), now(), $3, now())`,
        [`history-${owner}-${i}@bank.example`, owner, i < wins ? 'won' : 'lost'],
      )
    }
  }
  const owners = { [repA]: 0, [repB]: 0 } as Record<string, number>
  let trace: { steps: Array<{ fit?: { segment: string; estimates: Array<{ repId: string; wins: number; losses: number }> } }> } | undefined
  // B is drawn first about 6 % of the time (1887 of 2000 above), so 60 leads alone miss B
  // about 3 % of runs: go on past 60 until B has one, up to 300 (a miss then is ~1e-7).
  for (let i = 0; i < 300 && (i < 60 || owners[repB] === 0); i++) {
    const { handoff } = await h.ok(
      'POST',
      '/v1/leads',
      { email: `cfo${i}@bank${i}.example`, industry: 'fintech', signals: { demoRequested: true } },
      201,
      'integration',
    )
    owners[handoff.repId]! += 1
    trace ??= (await h.ok('GET', `/v1/handoffs/${handoff.id}`, undefined, 200)).trace
  }
  t.ok(owners[repA]! > owners[repB]!, `A gets most fintech leads (A ${owners[repA]}, B ${owners[repB]})`)
  t.ok(owners[repB]! > 0, `B still gets some (within ${owners[repA]! + owners[repB]!} leads)`)
  t.match(
    trace?.steps.at(-1)?.fit,
    {
      segment: 'fintech',
      estimates: [
        { repId: repA, wins: 8, losses: 2 },
        { repId: repB, wins: 4, losses: 6 },
      ],
    },
    "the trace shows each candidate's record",
  )

  const simulated = await h.ok(
    'POST',
    '/v1/routing/simulate',
    { lead: { email: 'new@bank.example', industry: 'fintech', signals: { demoRequested: true } } },
    200,
  )
  t.equal(simulated.decision.repId, repA, 'a simulation ranks by the expected win rate: A')
  t.match(simulated.trace.steps.at(-1).fit.estimates, [
    { repId: repA, mean: 0.7403 },
    { repId: repB, mean: 0.4545 },
  ])

  const replay = await h.ok(
    'POST',
    '/v1/routing/simulate',
    { ruleset: { rules: [{ name: 'fit', assign: { type: 'team', teamId: team.id } }], fallback: null }, replay: { last: 20 } },
    200,
  )
  t.equal(replay.replay.leads, 20)
  t.ok(
    replay.data.every((d: { after: { repId: string } }) => d.after.repId === repA),
    'replayed, every past fintech lead goes to the likelier winner',
  )
  t.equal(
    replay.replay.changed,
    replay.data.filter((d: { before: { repId: string } }) => d.before.repId !== repA).length,
    'changed: those B had',
  )
  t.match(replay.replay.assumptions, /best_fit teams rank by each rep's expected win rate/)
})
