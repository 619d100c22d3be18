import { readdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import type pg from 'pg'

const STATEMENT = /^CREATE\s+(UNIQUE\s+)?INDEX\s+CONCURRENTLY\s+IF\s+NOT\s+EXISTS\s+"?([a-z_][a-z0-9_]*)"?\s/i

/**
 * Index builds on growing tables, from `folder` (migrations/concurrent): run after drizzle's
 * migrations, outside any transaction, because a plain CREATE INDEX locks the table against
 * writes for the whole build and drizzle's migrator runs every file in one transaction.
 * Each file holds only `CREATE [UNIQUE] INDEX CONCURRENTLY IF NOT EXISTS` statements, so
 * running them again is harmless. A build that was cut off (a crash, a deploy) leaves an
 * INVALID index that IF NOT EXISTS would keep for good: it is dropped and built again.
 * Returns the indexes built by this call.
 */
export async function buildConcurrentIndexes(client: pg.Client, folder: string): Promise<string[]> {
  const files = (await readdir(folder).catch(() => [])).filter((file) => file.endsWith('.sql')).sort()
  const built: string[] = []
  for (const file of files) {
    for (const statement of statementsOf(await readFile(path.join(folder, file), 'utf8'))) {
      const name = STATEMENT.exec(statement)?.[2]
      if (!name)
        throw new Error(
          `${file}: only CREATE INDEX CONCURRENTLY IF NOT EXISTS statements belong in migrations/concurrent, not: ` +
            `${statement.slice(0, 80)}`,
        )
      const {
        rows: [existing],
      } = await client.query<{ valid: boolean }>(
        'select i.indisvalid as valid from pg_index i join pg_class c on c.oid = i.indexrelid where c.relname = $1 and ' +
          'pg_table_is_visible(c.oid)',
        [name.toLowerCase()],
      )
      if (existing?.valid) continue
      if (existing) await client.query(`DROP INDEX CONCURRENTLY IF EXISTS "${name}"`)
      await client.query(statement)
      built.push(name)
    }
  }
  return built
}

/** The file's statements: split on drizzle's breakpoints or on semicolons at a line's end, comments dropped. */
function statementsOf(sql: string): string[] {
  const withoutComments = sql
    .split('\n')
    .filter((line) => !line.trim().startsWith('--') || line.includes('statement-breakpoint'))
    .join('\n')
  return withoutComments
    .split(/--> statement-breakpoint|;\s*$/m)
    .map((part) => part.trim().replace(/;$/, ''))
    .filter(Boolean)
}
