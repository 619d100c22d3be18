// CPU time from /proc (Linux), to say where an ingested lead's cost goes: the service
// process, and the PostgreSQL cluster serving the bench (skipped when DATABASE_URL points
// to another machine).
import { readdir, readFile } from 'node:fs/promises'
import pg from 'pg'

// USER_HZ: 100 on every Linux the bench targets (getconf CLK_TCK).
const TICKS_PER_S = 100

interface Stat {
  pid: number
  comm: string
  ppid: number
  own: number
  reaped: number
}

async function stat(pid: number): Promise<Stat | undefined> {
  const text = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined)
  if (!text) return undefined
  // comm is in parentheses and may hold spaces; the fields after it are space-separated.
  const close = text.lastIndexOf(')')
  const fields = text.slice(close + 2).split(' ')
  const n = (i: number) => Number(fields[i - 3])
  return {
    pid,
    comm: text.slice(text.indexOf('(') + 1, close),
    ppid: n(4),
    own: (n(14) + n(15)) / TICKS_PER_S,
    reaped: (n(16) + n(17)) / TICKS_PER_S,
  }
}

/** CPU seconds a process has used so far; with `reaped`, its exited children's instead. */
export async function processCpuSeconds(pid: number, { reaped = false } = {}): Promise<number> {
  const found = await stat(pid)
  return (reaped ? found?.reaped : found?.own) ?? 0
}

/**
 * The postmaster of the cluster serving `databaseUrl`, when that cluster runs on this machine
 * (the parent of this connection's backend); undefined for a remote DATABASE_URL.
 */
export async function localPostmaster(databaseUrl: string): Promise<number | undefined> {
  const client = new pg.Client({ connectionString: databaseUrl })
  await client.connect()
  try {
    const { rows } = await client.query<{ pid: number }>('select pg_backend_pid() as pid')
    const backend = await stat(rows[0]!.pid)
    return backend?.comm === 'postgres' ? backend.ppid : undefined
  } finally {
    await client.end()
  }
}

/** CPU seconds a cluster has used so far: its postmaster, its live processes, and the backends it reaped. */
export async function postgresCpuSeconds(postmaster: number): Promise<number> {
  const pids = (await readdir('/proc')).filter((name) => /^\d+$/.test(name)).map(Number)
  const stats = (await Promise.all(pids.map(stat))).filter((s): s is Stat => s?.pid === postmaster || s?.ppid === postmaster)
  return stats.reduce((sum, s) => sum + s.own + (s.pid === postmaster ? s.reaped : 0), 0)
}
