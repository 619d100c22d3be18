// The drill's world, made through the API as an admin would: a webhook endpoint for
// every event, two teams of always-working reps (one with a manager for escalations),
// and a ruleset whose deadlines (2–3 s) run out during the drill.

/** Who is who: the reps that answer their offers, and the ones that let them expire. */
export interface World {
  endpointId: string
  endpointCreatedAt: string
  secret: string
  /** Reps (and the manager) that accept whatever they are offered. */
  accepting: string[]
  /** Every rep id, the manager included. */
  reps: string[]
  /** Team 0's manager (teams.managerId): the escalations go to them. */
  manager: string
  /** Each team's members, in order. */
  members: string[][]
}

const TEAM_SIZE = 6
// Per team: the first ACCEPTING members accept their offers; the others never answer.
const ACCEPTING = 4

export async function setUpWorld(base: string, adminToken: string, receiverUrl: string): Promise<World> {
  const post = async <T>(method: string, path: string, body: object): Promise<T> => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
    if (!res.ok) throw new Error(`setup: ${method} ${path} answered ${res.status}: ${await res.text()}`)
    return res.json() as Promise<T>
  }
  // First, so that every event of the drill has a delivery.
  const endpoint = await post<{ id: string; secret: string; createdAt: string }>('POST', '/v1/webhook-endpoints', {
    url: receiverUrl,
    description: 'drill receiver',
  })
  const rep = async (name: string) =>
    (
      await post<{ id: string }>('POST', '/v1/reps', {
        name,
        email: `${name.toLowerCase().replace(/\W+/g, '-')}@drill.example`,
        timezone: 'UTC',
      })
    ).id
  const manager = await rep('Drill manager')
  const accepting = [manager]
  const reps = [manager]
  const teams: string[] = []
  const teamMembers: string[][] = []
  for (const [t, strategy] of (['round_robin', 'least_loaded'] as const).entries()) {
    const members: Array<{ repId: string }> = []
    for (let r = 0; r < TEAM_SIZE; r++) {
      const id = await rep(`Drill rep ${t}-${r}`)
      members.push({ repId: id })
      reps.push(id)
      if (r < ACCEPTING) accepting.push(id)
    }
    const team = await post<{ id: string }>('POST', '/v1/teams', {
      name: `Drill team ${t}`,
      strategy,
      members,
      ...(t === 0 ? { managerId: manager } : {}),
    })
    teams.push(team.id)
    teamMembers.push(members.map((m) => m.repId))
  }
  await post('PUT', '/v1/routing', {
    rules: [
      {
        name: 'demo requests',
        when: { field: 'signals.demoRequested', op: 'eq', value: true },
        assign: { type: 'team', teamId: teams[0] },
        acceptWithinSeconds: 2,
      },
      { name: 'everyone else', assign: { type: 'team', teamId: teams[1] }, acceptWithinSeconds: 3 },
    ],
    fallback: null,
  })
  return {
    endpointId: endpoint.id,
    endpointCreatedAt: endpoint.createdAt,
    secret: endpoint.secret,
    accepting,
    reps,
    manager,
    members: teamMembers,
  }
}
