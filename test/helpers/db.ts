import { randomBytes } from 'node:crypto'
import { adminStatement } from '../../src/db/admin.ts'

/**
 * A database of its own for one test file, cloned from the migrated template that
 * `npm test` prepared. `drop` removes it (after whatever uses it has closed).
 */
export async function createTestDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  return newDatabase(true)
}

/** Like createTestDatabase, but empty: no tables, no pg-boss schema (for migration tests). */
export async function createEmptyDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  return newDatabase(false)
}

async function newDatabase(migrated: boolean): Promise<{ url: string; drop: () => Promise<void> }> {
  const adminUrl = process.env.BATON_TEST_ADMIN_URL
  const template = process.env.BATON_TEST_TEMPLATE
  if (!adminUrl || !template) throw new Error('Run tests through `npm test` (it provides the database): npm test -- <file>')
  const name = `${template}_${randomBytes(5).toString('hex')}`
  await adminStatement(adminUrl, `create database "${name}"${migrated ? ` template "${template}"` : ''}`)
  return {
    url: Object.assign(new URL(adminUrl), { pathname: `/${name}` }).toString(),
    drop: () => adminStatement(adminUrl, `drop database if exists "${name}" with (force)`),
  }
}
