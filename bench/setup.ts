// The bench's routing setup, made through the API as an admin would: 3 teams of 10
// reps (one per strategy) and a ruleset of 50 rules over country, size and industry,
// ending in a catch-all, so every bench lead is routed by a realistic rule list.
// BENCH_REMINDERS=off gives every rule `remindBeforeSeconds: []`: the same run without the
// reminder a demo lead's 30-minute window gets by default (what reminders cost per lead).
import { apiAs } from './api.ts'

const COUNTRIES = ['DE', 'FR', 'GB', 'US', 'NL', 'ES', 'IT', 'SE', 'PL', 'AT']
const STRATEGIES = ['round_robin', 'weighted', 'least_loaded'] as const

const noReminders = process.env.BENCH_REMINDERS === 'off' ? { remindBeforeSeconds: [] } : {}

export async function setUpRouting(base: string, adminToken: string): Promise<void> {
  const admin = apiAs(base, adminToken)
  const call = async (method: string, path: string, body: object) => (await admin(method, path, body)) as { id: string }
  const teamIds: string[] = []
  for (const [t, strategy] of STRATEGIES.entries()) {
    const members: Array<{ repId: string; weight: number }> = []
    for (let r = 0; r < 10; r++) {
      // Always working: the bench may run at any hour, and every lead should find a rep.
      const rep = await call('POST', '/v1/reps', {
        name: `Bench rep ${t}-${r}`,
        email: `bench-${t}-${r}@baton.example`,
        timezone: 'Europe/Berlin',
      })
      members.push({ repId: rep.id, weight: 1 + (r % 3) })
    }
    teamIds.push((await call('POST', '/v1/teams', { name: `Bench team ${t}`, strategy, members })).id)
  }
  const rules: object[] = Array.from({ length: 49 }, (_, i) => ({
    name: `rule ${i}`,
    when: {
      all: [
        { field: 'country', op: 'eq', value: COUNTRIES[i % COUNTRIES.length] },
        { field: 'employees', op: 'between', value: [i * 20, i * 20 + 19] },
        { field: 'industry', op: 'neq', value: 'gambling' },
      ],
    },
    assign: { type: 'team', teamId: teamIds[i % teamIds.length] },
    ...noReminders,
  }))
  rules.push({
    name: 'everyone else',
    when: { field: 'tier', op: 'in', value: ['high', 'demo', 'standard'] },
    assign: { type: 'team', teamId: teamIds[0] },
    ...noReminders,
  })
  await call('PUT', '/v1/routing', { rules, fallback: { type: 'team', teamId: teamIds[1] } })
}
