import type { HandoffRow } from '../../db/schema/index.ts'
import type { ServiceDeps } from '../../lib/deps.ts'
import { NotFound } from '../../lib/errors.ts'
import * as repo from './handoffs.repo.ts'
import type { Handoff } from './handoffs.schemas.ts'

/** Handoffs: reading them (accepting and declining arrive with the acceptance work). */
export function createHandoffsService({ db }: Pick<ServiceDeps, 'db'>) {
  return {
    /** The handoff with the full trace of the routing decision that created it. */
    async get(id: string) {
      const row = await repo.findHandoff(db, id)
      if (!row) throw new NotFound(`No handoff with id ${id}.`)
      return { ...toHandoff(row), trace: row.trace }
    },
  }
}

export type HandoffsService = ReturnType<typeof createHandoffsService>

export function toHandoff(row: HandoffRow): Handoff {
  return {
    id: row.id,
    leadId: row.leadId,
    repId: row.repId,
    status: row.status,
    attempt: row.attempt,
    deadlineAt: row.deadlineAt.toISOString(),
    createdAt: row.createdAt.toISOString(),
    routing: { version: row.rulesetVersion, rule: row.ruleName, ruleIndex: row.ruleIndex, teamId: row.teamId },
  }
}
