import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { drizzle } from 'drizzle-orm/node-postgres'
import { migrate as applyDrizzleMigrations } from 'drizzle-orm/node-postgres/migrator'
import pg from 'pg'
import { createBoss } from '../lib/boss.ts'
import { seedDefaults } from './seed.ts'

const MIGRATIONS_FOLDER = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../migrations')
// Any constant works; it only has to be the same for every Baton instance on this database.
const MIGRATION_LOCK_KEY = 7_314_026_001

/**
 * Brings the database to the current schema: drizzle migrations, then pg-boss's own.
 * Instances starting together queue on one advisory lock, so exactly one migrates
 * and the others find nothing left to do.
 */
export async function migrate(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, application_name: 'baton-migrate' })
  await client.connect()
  try {
    await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY])
    await applyDrizzleMigrations(drizzle(client), { migrationsFolder: MIGRATIONS_FOLDER })
    await seedDefaults(client)
    const boss = createBoss(url, { role: 'api', max: 2 })
    await boss.start()
    await boss.stop({ graceful: false })
  } finally {
    await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => {})
    await client.end()
  }
}
