// The PostgreSQL of the bench, the drill and the demo: a throwaway embedded cluster in a
// scratch dir (or the server DATABASE_URL names), the databases made on it, and (for the
// drill) a restart of the cluster on the same data dir and port while services run on it.
import { chmod, mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { adminStatement } from '../src/db/admin.ts'
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../src/db/embedded.ts'
import { migrate } from '../src/db/migrate.ts'

/** Where a script's databases live, and the one chaos step that concerns them. */
export interface Cluster {
  /** Embedded: a restart is possible. External (DATABASE_URL): it is not. */
  embedded: boolean
  /** The scratch dir (logs may go there too); removed by `close`. */
  scratch: string
  /** Creates and migrates a database; it is dropped by `close`. Answers its URL. */
  createDatabase(name: string): Promise<string>
  /** Stops the cluster, waits `downMs`, starts it again on the same data dir and port. Answers the seconds it was unreachable (the drill). */
  restart(downMs: number): Promise<number>
  /** Drops every database made here, stops the cluster, removes the scratch dir. Never throws. */
  close(): Promise<void>
}

/** `label` names the scratch dir (baton-<label>-…); `externalUrl` is DATABASE_URL when set. */
export async function startScratchCluster(label: string, externalUrl: string | undefined): Promise<Cluster> {
  const scratch = await mkdtemp(path.join(os.tmpdir(), `baton-${label}-`))
  // As root, embedded PostgreSQL runs as a `postgres` user, which must reach its data dir.
  await chmod(scratch, 0o755)
  let embedded: EmbeddedDatabase | undefined
  let adminUrl = externalUrl
  try {
    if (!adminUrl) {
      embedded = await startEmbeddedPostgres({ dataDir: scratch, log: () => {} })
      adminUrl = embedded.adminUrl
    }
  } catch (error) {
    await rm(scratch, { recursive: true, force: true })
    throw error
  }
  const admin = adminUrl
  const port = Number(new URL(admin).port)
  const created: string[] = []

  return {
    embedded: embedded !== undefined,
    scratch,
    async createDatabase(name) {
      await adminStatement(admin, `create database "${name}"`)
      created.push(name)
      const url = Object.assign(new URL(admin), { pathname: `/${name}` }).toString()
      await migrate(url)
      return url
    },
    async restart(downMs) {
      if (!embedded) throw new Error('an external PostgreSQL cannot be restarted by the drill')
      const started = performance.now()
      await embedded.stop()
      embedded = undefined
      await new Promise((resolve) => setTimeout(resolve, downMs))
      embedded = await startEmbeddedPostgres({ dataDir: scratch, log: () => {}, port })
      return (performance.now() - started) / 1000
    },
    async close() {
      for (const name of created) {
        await adminStatement(admin, `drop database if exists "${name}" with (force)`).catch(() => {})
      }
      await embedded?.stop().catch(() => {})
      await rm(scratch, { recursive: true, force: true }).catch(() => {})
    },
  }
}
