import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { drizzle } from 'drizzle-orm/node-postgres'
import { migrate as applyDrizzleMigrations } from 'drizzle-orm/node-postgres/migrator'
import pg from 'pg'
import { createBoss } from '../lib/boss.ts'
import { encryptStoredSecrets, type SecretsKeysConfig } from './encrypt-secrets.ts'
import { buildConcurrentIndexes } from './concurrent-indexes.ts'
import { seedDefaults } from './seed.ts'

const MIGRATIONS_FOLDER = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../migrations')
// Any constant works; it only has to be the same for every Baton instance on this database.
const MIGRATION_LOCK_KEY = 7_314_026_001

/**
 * Brings the database to the current schema: drizzle migrations, the index builds that
 * must not lock a growing table (migrations/concurrent), then pg-boss's own.
 * Instances starting together queue on one advisory lock, so exactly one migrates
 * and the others find nothing left to do. `secrets`: the keys stored secrets are sealed
 * with (needed once webhook endpoints or sources exist).
 */
export async function migrate(url: string, secrets?: SecretsKeysConfig): Promise<void> {
  const client = new pg.Client({ connectionString: url, application_name: 'baton-migrate' })
  await client.connect()
  try {
    await takeMigrationLock(client)
    await applyDrizzleMigrations(drizzle(client), { migrationsFolder: MIGRATIONS_FOLDER })
    await buildConcurrentIndexes(client, path.join(MIGRATIONS_FOLDER, 'concurrent'))
    await encryptStoredSecrets(client, secrets)
    await seedDefaults(client)
    const boss = createBoss(url, { role: 'api', max: 2 })
    await boss.start()
    await boss.stop({ graceful: false })
  } finally {
    await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => {})
    await client.end()
  }
}

/**
 * Waits for the migration lock by asking again every 100 ms rather than blocking on it: an
 * instance blocked in pg_advisory_lock holds a snapshot for as long as it waits, and
 * CREATE INDEX CONCURRENTLY in the migrating instance waits for every snapshot to end, so
 * the two would deadlock (PostgreSQL then kills one of them).
 */
async function takeMigrationLock(client: pg.Client): Promise<void> {
  for (;;) {
    const {
      rows: [row],
    } = await client.query<{ locked: boolean }>('select pg_try_advisory_lock($1) as locked', [MIGRATION_LOCK_KEY])
    if (row?.locked) return
    await sleep(100)
  }
}
