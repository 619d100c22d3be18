// CPU time from /proc (Linux), to say where an ingested lead's cost goes: the service
// process, and PostgreSQL on this machine (skipped when DATABASE_URL points elsewhere).
import { readdir, readFile } from 'node:fs/promises'

// USER_HZ: 100 on every Linux the bench targets (getconf CLK_TCK).
const TICKS_PER_S = 100

interface Stat { pid: number; comm: string; ppid: number; own: number; reaped: number }

async function stat(pid: number): Promise<Stat | undefined> {
  const text = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined)
  if (!text) return undefined
  // comm is in parentheses and may hold spaces; the fields after it are space-separated.
  const close = text.lastIndexOf(')')
  const fields = text.slice(close + 2).split(' ')
  const n = (i: number) => Number(fields[i - 3])
  return { pid, comm: text.slice(text.indexOf('(') + 1, close), ppid: n(4), own: (n(14) + n(15)) / TICKS_PER_S, reaped: (n(16) + n(17)) / TICKS_PER_S }
}

/** CPU seconds a process has used so far; with `reaped`, its exited children's instead. */
export async function processCpuSeconds(pid: number, { reaped = false } = {}): Promise<number> {
  const found = await stat(pid)
  return (reaped ? found?.reaped : found?.own) ?? 0
}

/**
 * CPU seconds every local PostgreSQL has used so far: each live postgres process, plus,
 * for a postmaster, what its exited backends used. Undefined when none runs here.
 */
export async function postgresCpuSeconds(): Promise<number | undefined> {
  const pids = (await readdir('/proc')).filter((name) => /^\d+$/.test(name)).map(Number)
  const stats = (await Promise.all(pids.map(stat))).filter((s): s is Stat => s?.comm === 'postgres')
  if (stats.length === 0) return undefined
  const postgres = new Set(stats.map((s) => s.pid))
  return stats.reduce((sum, s) => sum + s.own + (postgres.has(s.ppid) ? 0 : s.reaped), 0)
}
