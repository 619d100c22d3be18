// The real process, as an operator runs it: `node src/server.ts` on a bare machine
// (embedded PostgreSQL under DATA_DIR), signals, restarts, and the dev signing key.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import t, { type Test } from 'tap'
import { EnvSchema } from '../src/config.ts'
import { signToken } from '../src/lib/auth-keys.ts'
import { isAlive } from '../src/db/embedded.ts'
import { freePort } from '../src/lib/free-port.ts'
import { slowClient } from './helpers/slow-client.ts'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const SECRET = 'server-test-secret-long-enough-for-hs256'
const READY_WITHIN_MS = 30_000
const EXIT_WITHIN_MS = 15_000

/** One spawned process with its output collected. */
interface Proc {
  child: ChildProcess
  stdout: () => string
  stderr: () => string
  /** Resolves once the process has exited and its output is complete. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))
const running = (proc: Proc) => proc.child.exitCode === null && proc.child.signalCode === null

async function withinMs<T>(promise: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms)
  })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}

/**
 * A fresh DATA_DIR and every process started on it. The teardown stops whatever a
 * failed test left running (Baton, then a postmaster it orphaned) and removes the dir.
 */
async function sandbox(t: Test) {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'baton-server-test-'))
  await chmod(dataDir, 0o755) // as root, PostgreSQL runs as `postgres` and must reach its data dir
  const procs: Proc[] = []

  t.teardown(async () => {
    for (const proc of procs.filter(running)) {
      proc.child.kill('SIGTERM')
      if ((await withinMs(proc.exited, EXIT_WITHIN_MS)) === 'timeout') proc.child.kill('SIGKILL')
      await withinMs(proc.exited, 5_000)
    }
    const pid = await postmasterPid(dataDir)
    if (pid !== undefined && isAlive(pid)) {
      process.kill(pid, 'SIGINT') // fast shutdown
      for (let waited = 0; waited < 10_000 && isAlive(pid); waited += 100) await sleep(100)
      if (isAlive(pid)) process.kill(pid, 'SIGKILL')
    }
    await rm(dataDir, { recursive: true, force: true })
  })

  /** Environment of a user's shell: none of the test run's Baton variables leak in. */
  const env = (extra: Record<string, string>): NodeJS.ProcessEnv => {
    const base = { ...process.env }
    for (const key of Object.keys(EnvSchema.properties)) delete base[key]
    return { ...base, DATA_DIR: dataDir, LOG_LEVEL: 'info', ...extra }
  }

  /** `detached`: a process group of its own, as a shell gives a foreground job (for Ctrl-C). */
  const run = (script: string, args: string[], extra: Record<string, string>, { detached = false } = {}): Proc => {
    const child = spawn(process.execPath, [script, ...args], { cwd: ROOT, env: env(extra), stdio: ['ignore', 'pipe', 'pipe'], detached })
    let out = ''
    let err = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk
    })
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      err += chunk
    })
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      child.once('close', (code, signal) => resolve({ code, signal }))
    })
    const proc = { child, stdout: () => out, stderr: () => err, exited }
    procs.push(proc)
    return proc
  }

  return { dataDir, run }
}

async function postmasterPid(dataDir: string): Promise<number | undefined> {
  const file = path.join(dataDir, 'postgres', 'postmaster.pid')
  if (!existsSync(file)) return undefined
  const pid = Number((await readFile(file, 'utf8')).split('\n')[0])
  return Number.isInteger(pid) && pid > 0 ? pid : undefined
}

/** The pino lines written so far; a line still being written (no newline yet) is left out. */
function logLines(stdout: string): Array<{ msg?: string; level: number }> {
  return stdout
    .split('\n')
    .slice(0, -1)
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { msg?: string; level: number })
}

/** Polls /readyz until it answers 200; fails early if the process dies first. */
async function waitReady(t: Test, proc: Proc, base: string): Promise<boolean> {
  const started = Date.now()
  while (Date.now() - started < READY_WITHIN_MS) {
    if (!running(proc)) {
      t.fail('the server exited before it was ready', { stderr: proc.stderr(), stdout: proc.stdout().slice(-4000) })
      return false
    }
    const res = await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(2_000) }).catch(() => undefined)
    if (res?.status === 200) {
      t.pass(`/readyz answered 200 after ${Date.now() - started} ms`)
      return true
    }
    await sleep(150)
  }
  t.fail(`/readyz did not answer 200 within ${READY_WITHIN_MS} ms`, { stderr: proc.stderr(), stdout: proc.stdout().slice(-4000) })
  return false
}

/**
 * Sends the signal (to the process, or with `group` to its whole process group as
 * Ctrl-C in a terminal does); it must exit 0 in time and leave no postmaster behind.
 */
async function stopWith(t: Test, proc: Proc, signal: NodeJS.Signals, dataDir: string, { group = false } = {}) {
  const sent = Date.now()
  if (group) process.kill(-proc.child.pid!, signal)
  else proc.child.kill(signal)
  const result = await withinMs(proc.exited, EXIT_WITHIN_MS)
  if (result === 'timeout') {
    t.fail(`${signal}: still running after ${EXIT_WITHIN_MS} ms`)
    return
  }
  t.same(result, { code: 0, signal: null }, `${signal}: exits 0 (after ${Date.now() - sent} ms)`, { stderr: proc.stderr() })
  const logs = logLines(proc.stdout())
  t.ok(
    logs.some((line) => line.msg === 'stopped cleanly'),
    `${signal}: logs that it stopped cleanly`,
  )
  const errors = logs.filter((line) => line.level >= 50).map((line) => line.msg)
  t.same(errors, [], `${signal}: a clean shutdown logs no errors`)

  const pid = await postmasterPid(dataDir)
  if (pid !== undefined) t.notOk(isAlive(pid), `${signal}: the postmaster (pid ${pid}) is gone`)
  const table = execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' })
  const leftovers = table.split('\n').filter((line) => line.includes(path.join(dataDir, 'postgres')))
  t.same(leftovers, [], `${signal}: no process runs on the data dir`)
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

// Two at a time, not four: each subtest starts services with a PostgreSQL of their own, and
// four of them beside tap's other files overloaded two cores enough to make the real-time
// deadline tests late.
t.jobs = 2

t.test('start, serve, SIGINT, restart on the same data, dev key, SIGTERM', async (t) => {
  const { dataDir, run } = await sandbox(t)
  const port = await freePort()
  const base = `http://127.0.0.1:${port}`
  const secret = new TextEncoder().encode(SECRET)

  const first = run('src/server.ts', [], { PORT: String(port), AUTH_SECRET: SECRET })
  if (!(await waitReady(t, first, base))) return
  // The line is written before the first request is served, but reaches us on another pipe.
  const printsDocs = () => logLines(first.stdout()).some((line) => line.msg?.includes(`docs at http://localhost:${port}/docs`))
  for (let waited = 0; waited < 5_000 && !printsDocs(); waited += 100) await sleep(100)
  t.ok(printsDocs(), 'prints where the docs are')

  const created = await fetch(`${base}/v1/reps`, {
    method: 'POST',
    headers: { ...bearer(await signToken(secret, { role: 'admin' })), 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'Grace Hopper', email: 'grace@example.com', timezone: 'America/New_York' }),
  })
  t.equal(created.status, 201, 'a rep is created with a token signed with AUTH_SECRET')
  const rep = (await created.json()) as { id: string; email: string }
  t.equal(rep.email, 'grace@example.com')

  await stopWith(t, first, 'SIGINT', dataDir)

  // Second start on the same DATA_DIR, now without AUTH_SECRET: the dev key under DATA_DIR signs.
  const second = run('src/server.ts', [], { PORT: String(port) })
  if (!(await waitReady(t, second, base))) return
  const tokenRun = run('scripts/token.ts', ['--role', 'admin'], {})
  const tokenExit = await withinMs(tokenRun.exited, 15_000)
  t.same(tokenExit, { code: 0, signal: null }, 'npm run token exits 0 with the dev key', { stderr: tokenRun.stderr() })
  const devToken = tokenRun.stdout().trim()
  t.match(devToken, /^[\w-]+\.[\w-]+\.[\w-]+$/, 'prints one JWT')
  t.ok(existsSync(path.join(dataDir, 'dev-auth-secret')), 'the dev key lives under DATA_DIR')

  const fetched = await fetch(`${base}/v1/reps/${rep.id}`, { headers: bearer(devToken) })
  t.equal(fetched.status, 200, 'the server accepts the dev-key token')
  t.match(
    await fetched.json(),
    { id: rep.id, email: 'grace@example.com', timezone: 'America/New_York' },
    'the rep survived the restart: data reused',
  )

  const oldKey = await fetch(`${base}/v1/reps/${rep.id}`, { headers: bearer(await signToken(secret, { role: 'admin' })) })
  t.equal(oldKey.status, 401, 'a token signed with the no longer configured AUTH_SECRET is refused')

  await stopWith(t, second, 'SIGTERM', dataDir)
})

t.test('ROLE=worker serves health checks only', async (t) => {
  const { dataDir, run } = await sandbox(t)
  const port = await freePort()
  const base = `http://127.0.0.1:${port}`
  const worker = run('src/server.ts', [], { PORT: String(port), AUTH_SECRET: SECRET, ROLE: 'worker' })
  if (!(await waitReady(t, worker, base))) return

  const health = await fetch(`${base}/healthz`)
  t.equal(health.status, 200, '/healthz')
  t.same(await health.json(), { status: 'ok' })
  const ready = await fetch(`${base}/readyz`)
  t.match(await ready.json(), { status: 'ok', checks: { database: 'ok', jobs: 'ok' } }, '/readyz checks the database and the jobs')

  const token = await signToken(new TextEncoder().encode(SECRET), { role: 'admin' })
  const reps = await fetch(`${base}/v1/reps`, { headers: bearer(token) })
  t.equal(reps.status, 404, '/v1/reps is not served by a worker, even with a valid token')

  await stopWith(t, worker, 'SIGTERM', dataDir)
})

t.test('Ctrl-C in a terminal: SIGINT to the whole process group still drains cleanly', async (t) => {
  const { dataDir, run } = await sandbox(t)
  const port = await freePort()
  const server = run('src/server.ts', [], { PORT: String(port), AUTH_SECRET: SECRET }, { detached: true })
  if (!(await waitReady(t, server, `http://127.0.0.1:${port}`))) return
  // The embedded postmaster shares the group, so it gets the SIGINT too; Baton must still
  // drain before its database goes away rather than lose its connections mid-drain.
  await stopWith(t, server, 'SIGINT', dataDir, { group: true })
})

t.test('SIGTERM with a client trickling a body: the drain ends after SHUTDOWN_TIMEOUT_SECONDS, still cleanly', async (t) => {
  const { dataDir, run } = await sandbox(t)
  const port = await freePort()
  const server = run('src/server.ts', [], {
    PORT: String(port),
    AUTH_SECRET: SECRET,
    SHUTDOWN_TIMEOUT_SECONDS: '1',
    REQUEST_TIMEOUT_SECONDS: '300',
    CONNECTION_TIMEOUT_SECONDS: '300',
  })
  if (!(await waitReady(t, server, `http://127.0.0.1:${port}`))) return
  // The inbound endpoint is public and reads its whole body first: 1000 bytes at 10 a second.
  const trickling = slowClient({
    port,
    head: 'POST /v1/inbound/0190a000-0000-7000-8000-000000000000 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n',
    bodyBytes: 1000,
    everyMs: 100,
    giveUpMs: 60_000,
  })
  await sleep(500)
  const sent = Date.now()
  await stopWith(t, server, 'SIGTERM', dataDir)
  t.ok(Date.now() - sent < 8_000, `exited ${Date.now() - sent} ms after SIGTERM (1 s for requests, then jobs, pool, database)`)
  const client = await trickling
  t.ok(client.closedByServer, `the trickling client was disconnected, not waited for (after ${client.elapsedMs} ms)`)
  t.ok(
    logLines(server.stdout()).some((line) => line.msg?.includes('closing the connections left open')),
    'the forced close is logged',
  )
})

t.test('an invalid PORT: exit 1 at once with one line naming it', async (t) => {
  const { dataDir, run } = await sandbox(t)
  const started = Date.now()
  const proc = run('src/server.ts', [], { PORT: 'abc', AUTH_SECRET: SECRET })
  // Generous only for a loaded CI box running the other servers alongside: a process
  // that got past config would start PostgreSQL and never exit on its own.
  const result = await withinMs(proc.exited, 30_000)
  t.same(result, { code: 1, signal: null }, `exits 1 (after ${Date.now() - started} ms)`)
  const lines = proc
    .stderr()
    .split('\n')
    .filter((line) => line.trim() !== '')
  t.equal(lines.length, 1, 'stderr is a single line', { stderr: proc.stderr() })
  t.match(lines[0], /PORT/, 'naming PORT')
  t.match(lines[0], /abc/, 'and the value it got')
  t.notOk(existsSync(path.join(dataDir, 'postgres')), 'no database was started')
})
