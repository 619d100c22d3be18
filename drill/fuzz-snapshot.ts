// "The database unchanged": every domain table (row count and an md5 of all rows in a
// stable order, plus the rows themselves while the table is small, to say what changed)
// and every sequence of the public schema, before and after the fuzz. pg-boss keeps its
// queues in its own schema, which is left out: its jobs' effects land in these tables.
import pg from 'pg'

/** What one table or sequence looked like. */
export interface Fingerprint {
  summary: string
  rows: string[] | undefined
}
export type Snapshot = Map<string, Fingerprint>

/** Migration bookkeeping, should drizzle ever keep it in `public`. */
const IGNORED = /^__drizzle_migrations$/
const KEEP_ROWS = 5000

export async function snapshot(databaseUrl: string): Promise<Snapshot> {
  const client = new pg.Client({ connectionString: databaseUrl, application_name: 'baton-drill-fuzz' })
  await client.connect()
  try {
    const out: Snapshot = new Map()
    // One repeatable-read transaction: every table as of the same moment.
    await client.query('begin isolation level repeatable read read only')
    const { rows: tables } = await client.query<{ name: string }>(
      "select table_name as name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' order by 1",
    )
    for (const { name } of tables.filter((t) => !IGNORED.test(t.name))) {
      const from = `public."${name.replaceAll('"', '""')}" t`
      const { rows } = await client.query<{ count: string; digest: string | null }>(
        `select count(*) as count, md5(string_agg(t::text, E'\\n' order by t::text)) as digest from ${from}`,
      )
      const count = Number(rows[0]?.count ?? 0)
      const kept =
        count <= KEEP_ROWS
          ? (await client.query<{ row: string }>(`select t::text as row from ${from} order by 1`)).rows.map((r) => r.row)
          : undefined
      out.set(`table ${name}`, { summary: `${count} rows, md5 ${rows[0]?.digest ?? '-'}`, rows: kept })
    }
    const { rows: sequences } = await client.query<{ name: string; value: string | null }>(
      "select sequencename as name, last_value::text as value from pg_sequences where schemaname = 'public' order by 1",
    )
    for (const { name, value } of sequences) out.set(`sequence ${name}`, { summary: `last value ${value ?? 'unused'}`, rows: undefined })
    await client.query('commit')
    return out
  } finally {
    await client.end()
  }
}

/** One line per table or sequence that differs, with a taste of the rows that came and went. */
export function differences(before: Snapshot, after: Snapshot): string[] {
  const names = new Set([...before.keys(), ...after.keys()])
  const lines: string[] = []
  for (const name of names) {
    const [b, a] = [before.get(name), after.get(name)]
    if (b?.summary === a?.summary) continue
    let line = `database: ${name} changed: ${b?.summary ?? 'absent'} → ${a?.summary ?? 'absent'}`
    if (b?.rows && a?.rows) {
      const old = new Set(b.rows)
      const now = new Set(a.rows)
      const added = a.rows.filter((r) => !old.has(r))
      const removed = b.rows.filter((r) => !now.has(r))
      const taste = (rows: string[]) =>
        rows
          .slice(0, 3)
          .map((r) => r.slice(0, 300))
          .join(' | ')
      if (added.length) line += `; ${added.length} row(s) new or changed: ${taste(added)}`
      if (removed.length) line += `; ${removed.length} row(s) gone or changed: ${taste(removed)}`
    }
    lines.push(line)
  }
  return lines
}
