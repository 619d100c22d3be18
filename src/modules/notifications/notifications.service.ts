import type { NotificationRow, NotificationSettingsRow } from '../../db/schema/index.ts'
import type { ServiceDeps } from '../../lib/deps.ts'
import { Forbidden, NotFound } from '../../lib/errors.ts'
import { decodeCursor, toPage } from '../../lib/pagination.ts'
import type { Principal } from '../../plugins/auth.ts'
import { findLiveRep } from '../reps/reps.repo.ts'
import * as repo from './notifications.repo.ts'
import type { ListNotificationsQuery, Notification, NotificationSettings, NotificationSettingsBody } from './notifications.schemas.ts'
import { assertTargets, sealTargets, targetView } from './targets.ts'
import { loadSecretBox } from '../../lib/secret-box.ts'

/** What reps were told, for the admin who asks why a rep heard nothing, and for the rep. */
export function createNotificationsService({ db, config, clock }: Pick<ServiceDeps, 'db' | 'config' | 'clock'>) {
  return {
    async settings(): Promise<NotificationSettings> {
      return toSettings(await repo.readSettings(db))
    },

    /** Replaces the settings; the targets are checked as a rep's are. */
    async replaceSettings(body: NotificationSettingsBody): Promise<NotificationSettings> {
      await assertTargets(body.adminTargets, config.webhooks, '/adminTargets')
      const previous = (await repo.readSettings(db))?.adminTargets ?? []
      const adminTargets = sealTargets(body.adminTargets, previous, await loadSecretBox(config), '/adminTargets')
      const row = await repo.writeSettings(db, { adminTargets, messages: body.messages, updatedAt: clock.now() })
      return toSettings(row)
    },

    async listForRep(repId: string, query: ListNotificationsQuery, principal: Principal) {
      const before = decodeCursor(query.cursor)
      if (principal.role === 'rep' && principal.repId !== repId) throw new Forbidden('A rep reads only its own notifications.')
      if (!(await findLiveRep(db, repId))) throw new NotFound(`No rep with id ${repId}.`)
      const limit = query.limit ?? 50
      const rows = await repo.listForRep(db, { repId, limit, ...(before ? { before } : {}) })
      const page = toPage(rows, limit)
      return { data: page.data.map(toNotification), nextCursor: page.nextCursor }
    },
  }
}

export type NotificationsService = ReturnType<typeof createNotificationsService>

/** The settings as answers show them; none saved yet: no admin targets, every message on. */
function toSettings(row: NotificationSettingsRow | undefined): NotificationSettings {
  return {
    adminTargets: (row?.adminTargets ?? []).map(targetView),
    messages: row?.messages ?? {},
    updatedAt: row?.updatedAt.toISOString() ?? null,
  }
}

function toNotification(row: NotificationRow): Notification {
  return {
    id: row.id,
    eventId: row.eventId,
    leadId: row.leadId,
    message: row.message,
    target: targetView(row.target),
    status: row.status,
    attempts: row.attempts,
    lastError: row.lastError,
    nextAttemptAt: row.nextAttemptAt?.toISOString() ?? null,
    sentAt: row.sentAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
  }
}
