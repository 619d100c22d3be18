import { and, desc, eq, getTableColumns, lt, sql } from 'drizzle-orm'
import { prepared } from '../../db/prepared.ts'
import type { Queryable, Tx } from '../../db/client.ts'
import {
  events,
  leads,
  notificationSettings,
  notifications,
  reps,
  type NotificationRow,
  type NotificationSettingsRow,
  type NotificationStatus,
} from '../../db/schema/index.ts'
import type { NotificationIntent } from './intents.ts'

// One row per (intent, target of the kinds this version sends), in one statement: a rep's
// targets, or for an intent without a rep the admin targets; messages switched off in the
// settings make none. Read here, in the event's transaction, so a lead assigned to a rep
// with no targets costs this one statement and no job.
const fanOutQuery = prepared.sql<{ id: string }>(
  () => sql`
  with intent as (
    select * from jsonb_to_recordset(${sql.placeholder('input')}::jsonb) as x(event_id uuid, lead_id uuid, rep_id uuid, message text)
  ), settings as (
    select admin_targets, messages from notification_settings
  ), target as (
    select i.*, t.value from intent i join reps r on r.id = i.rep_id and r.deleted_at is null
    cross join lateral jsonb_array_elements(r.notification_targets) t
    union all
    select i.*, t.value from intent i cross join settings s cross join lateral jsonb_array_elements(s.admin_targets) t
    where i.rep_id is null
  )
  insert into notifications (id, event_id, lead_id, rep_id, message, kind, target, target_key, status, next_attempt_at, created_at,
    updated_at)
  select baton_uuidv7(), t.event_id, t.lead_id, t.rep_id, t.message, t.value->>'kind', t.value,
    (t.value->>'kind') || ':' || coalesce(lower(t.value->>'address'), t.value->>'url'), 'pending', ${sql.placeholder('now')}::timestamptz,
    ${sql.placeholder('now')}::timestamptz, ${sql.placeholder('now')}::timestamptz
  from target t
  where t.value->>'kind' = any(${sql.placeholder('kinds')}::text[])
    and coalesce((select (s.messages->>t.message)::boolean from settings s), true)
  on conflict (event_id, target_key) do nothing
  returning id`,
)

/** Writes the notifications of these intents to the reps' targets of `kinds`; their ids. */
export async function fanOut(tx: Tx, intents: NotificationIntent[], kinds: string[], now: Date): Promise<string[]> {
  if (intents.length === 0 || kinds.length === 0) return []
  const input = JSON.stringify(intents.map((i) => ({ event_id: i.eventId, lead_id: i.leadId, rep_id: i.repId, message: i.message })))
  return (await fanOutQuery(tx, { input, kinds, now })).map((row) => row.id)
}

/** A notification with what its message is made of: the event, and the rep it is for. */
export interface Claimed extends NotificationRow {
  eventType: string
  eventData: Record<string, unknown>
  eventAt: Date
  /** The rep it is for; an admin target's notifications are written for UTC. */
  rep: { name: string; timezone: string }
  /** The lead as it is now (events carry a snapshot without names or size). */
  lead: Record<string, unknown> | null
}

/**
 * The notifications of `ids` still to be sent that no one else is sending, locked: a second
 * instance (or a retried job) running at the same moment skips them rather than wait and
 * send them again.
 */
export async function claim(tx: Tx, ids: string[]): Promise<Claimed[]> {
  return (
    tx
      .select({
        ...getTableColumns(notifications),
        eventType: events.type,
        eventData: events.data,
        eventAt: events.createdAt,
        rep: sql<
          Claimed['rep']
        >`json_build_object('name', coalesce(${reps.name}, 'Admins'), 'timezone', coalesce(${reps.timezone}, 'UTC'))`,
        lead: sql<Claimed['lead']>`case when ${leads.id} is not null then json_build_object('email', ${leads.email},
        'firstName', ${leads.firstName}, 'lastName', ${leads.lastName}, 'company', ${leads.company}, 'employees', ${leads.employees},
        'country', ${leads.country}, 'source', ${leads.source}, 'tier', ${leads.tier}, 'score', ${leads.score}) end`,
      })
      .from(notifications)
      .innerJoin(events, eq(events.id, notifications.eventId))
      .leftJoin(reps, eq(reps.id, notifications.repId))
      .leftJoin(leads, eq(leads.id, notifications.leadId))
      // One array parameter, not an IN list: one statement text whatever the batch's size.
      .where(and(sql`${notifications.id} = any(${sql.param(ids)}::uuid[])`, eq(notifications.status, 'pending')))
      .orderBy(notifications.id)
      .for('update', { of: notifications, skipLocked: true })
  )
}

/** What an attempt left: sent, failed for good, or pending again at `nextAttemptAt`. */
export interface Outcome {
  id: string
  status: NotificationStatus
  error: string | null
  nextAttemptAt: Date | null
}

/** A batch's outcomes in one statement. */
export async function recordAttempts(tx: Tx, outcomes: Outcome[], now: Date): Promise<void> {
  if (outcomes.length === 0) return
  const input = JSON.stringify(outcomes.map((o) => ({ id: o.id, status: o.status, error: o.error, next_attempt_at: o.nextAttemptAt })))
  await tx.execute(sql`
    update notifications n set
      status = x.status, attempts = n.attempts + 1, last_error = x.error, next_attempt_at = x.next_attempt_at,
      sent_at = case when x.status = 'sent' then ${now}::timestamptz else n.sent_at end, updated_at = ${now}::timestamptz
    from jsonb_to_recordset(${input}::jsonb) as x(id uuid, status text, error text, next_attempt_at timestamptz)
    where n.id = any(${sql.param(outcomes.map((o) => o.id))}::uuid[]) and n.id = x.id`)
}

/** Pending notifications due before `before`: their job was lost (the timer backstop sends them). */
export async function pendingNotificationsDue(db: Queryable, before: Date, limit: number): Promise<string[]> {
  const rows = await db
    .select({ id: notifications.id })
    .from(notifications)
    .where(and(eq(notifications.status, 'pending'), lt(notifications.nextAttemptAt, before)))
    .orderBy(notifications.nextAttemptAt)
    .limit(limit)
  return rows.map((r) => r.id)
}

/** One rep's notifications, newest first (ids are UUIDv7: creation order). */
export async function listForRep(db: Queryable, { repId, before, limit }: { repId: string; before?: string; limit: number }) {
  return db
    .select()
    .from(notifications)
    .where(and(eq(notifications.repId, repId), before ? lt(notifications.id, before) : undefined))
    .orderBy(desc(notifications.id))
    .limit(limit + 1)
}

export async function readSettings(db: Queryable): Promise<NotificationSettingsRow | undefined> {
  const [row] = await db.select().from(notificationSettings)
  return row
}

export async function writeSettings(db: Queryable, row: Omit<NotificationSettingsRow, 'id'>): Promise<NotificationSettingsRow> {
  const [saved] = await db
    .insert(notificationSettings)
    .values({ id: true, ...row })
    .onConflictDoUpdate({ target: notificationSettings.id, set: row })
    .returning()
  return saved!
}
