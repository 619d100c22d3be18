import type { NotificationRow } from '../../db/schema/index.ts'
import type { ServiceDeps } from '../../lib/deps.ts'
import { Forbidden, NotFound } from '../../lib/errors.ts'
import { decodeCursor, toPage } from '../../lib/pagination.ts'
import type { Principal } from '../../plugins/auth.ts'
import { findLiveRep } from '../reps/reps.repo.ts'
import * as repo from './notifications.repo.ts'
import type { ListNotificationsQuery, Notification } from './notifications.schemas.ts'

/** What reps were told, for the admin who asks why a rep heard nothing, and for the rep. */
export function createNotificationsService({ db }: Pick<ServiceDeps, 'db'>) {
  return {
    async listForRep(repId: string, query: ListNotificationsQuery, principal: Principal) {
      if (principal.role === 'rep' && principal.repId !== repId) throw new Forbidden('A rep reads only its own notifications.')
      if (!(await findLiveRep(db, repId))) throw new NotFound(`No rep with id ${repId}.`)
      const limit = query.limit ?? 50
      const before = decodeCursor(query.cursor)
      const rows = await repo.listForRep(db, { repId, limit, ...(before ? { before } : {}) })
      const page = toPage(rows, limit)
      return { data: page.data.map(toNotification), nextCursor: page.nextCursor }
    },
  }
}

export type NotificationsService = ReturnType<typeof createNotificationsService>

function toNotification(row: NotificationRow): Notification {
  return {
    id: row.id,
    eventId: row.eventId,
    leadId: row.leadId,
    message: row.message,
    target: row.target,
    status: row.status,
    attempts: row.attempts,
    lastError: row.lastError,
    nextAttemptAt: row.nextAttemptAt?.toISOString() ?? null,
    sentAt: row.sentAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
  }
}
