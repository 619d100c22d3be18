// Baton instances for the drill: `node src/server.ts` child processes, exactly as
// `npm start` runs them, on one database and each on its own fixed port (a restart
// comes back on the same one). Like a process supervisor (systemd, Kubernetes), the
// drill restarts an instance that exits on its own, and records the crash with the tail
// of its stderr. Logs go to a file per instance; error-level lines are counted.
import { spawn, type ChildProcess } from 'node:child_process'
import { createWriteStream } from 'node:fs'
import path from 'node:path'
import { createInterface } from 'node:readline'
import { SERVICE_NODE_FLAGS } from '../scripts/service-flags.ts'

/** One Baton process that the drill can kill, restart and stop. */
export interface Instance {
  name: string
  port: number
  base: string
  start(): void
  /** SIGKILL: no drain, in-flight requests and jobs are cut. */
  kill(): Promise<void>
  /** SIGTERM (the graceful drain), SIGKILL after `graceMs`; no restart after it. */
  stop(graceMs?: number): Promise<void>
  /** Until /readyz answers 200 (through supervisor restarts), at most `timeoutMs`. */
  waitReady(timeoutMs: number): Promise<void>
}

/** An exit the drill did not cause. */
export interface Crash {
  instance: string
  atMs: number
  code: number | null
  signal: string | null
  /** The line of stderr that says why (an uncaught error's message), if any. */
  reason: string
  stderr: string[]
}

/** What the instances did that nobody asked for, and what they logged as errors. */
export interface ServiceLog {
  crashes: Crash[]
  /** Log lines at level error or fatal, by `msg` and error message, with a count each. */
  errors: Map<string, number>
}

export interface InstanceOptions {
  name: string
  port: number
  databaseUrl: string
  secret: string
  logDir: string
  /** Extra environment (retry schedules, attempts). */
  env: Record<string, string>
  log: ServiceLog
  /** The drill's clock (ms), for crash times. */
  now: () => number
  /** Once aborted (Ctrl-C reaches the whole process group), an exit is no crash and nothing restarts. */
  halt: AbortSignal
}

const RESTART_AFTER_MS = 1000
const STDERR_TAIL = 80

export function createInstance({ name, port, databaseUrl, secret, logDir, env, log, now, halt }: InstanceOptions): Instance {
  const base = `http://127.0.0.1:${port}`
  const file = createWriteStream(path.join(logDir, `${name}.log`), { flags: 'a' })
  let child: ChildProcess | undefined
  let expectExit = false
  let stopped = false

  const running = (proc: ChildProcess | undefined) => proc !== undefined && proc.exitCode === null && proc.signalCode === null
  const exited = (proc: ChildProcess) => new Promise<void>((resolve) => (running(proc) ? proc.once('exit', () => resolve()) : resolve()))

  const start = () => {
    expectExit = false
    const proc = spawn(process.execPath, [...SERVICE_NODE_FLAGS, 'src/server.ts'], {
      env: {
        ...process.env,
        ...env,
        DATABASE_URL: databaseUrl,
        PORT: String(port),
        HOST: '127.0.0.1',
        PUBLIC_URL: base,
        ROLE: 'all',
        AUTH_SECRET: secret,
        LOG_LEVEL: 'warn',
        WEBHOOK_ALLOW_PRIVATE: 'true',
        DATA_DIR: logDir,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    child = proc
    const stderr: string[] = []
    createInterface({ input: proc.stdout }).on('line', (line) => {
      file.write(`${line}\n`)
      noteError(log, name, line)
    })
    createInterface({ input: proc.stderr }).on('line', (line) => {
      file.write(`[stderr] ${line}\n`)
      stderr.push(line)
      if (stderr.length > STDERR_TAIL) stderr.shift()
    })
    proc.once('exit', (code, signal) => {
      if (expectExit || stopped || halt.aborted) return
      // Let the last stderr lines arrive before reading them.
      setTimeout(() => {
        const reason =
          [stderr.find((l) => /^(\w*Error|error)\b/.test(l)), stderr.find((l) => /^\s+code: /.test(l))]
            .filter(Boolean)
            .map((l) => l!.trim())
            .join(' ') ||
          (stderr.at(-1) ?? '')
        log.crashes.push({ instance: name, atMs: now(), code, signal, reason, stderr: [...stderr] })
        file.write(`[drill] ${name} exited on its own (code ${code}, signal ${signal}); restarting it\n`)
        if (!stopped && !halt.aborted && child === proc) start()
      }, RESTART_AFTER_MS)
    })
  }

  return {
    name,
    port,
    base,
    start,
    async kill() {
      if (!child) return
      expectExit = true
      child.kill('SIGKILL')
      await exited(child)
    },
    async stop(graceMs = 15_000) {
      stopped = true
      const proc = child
      if (proc && running(proc)) {
        expectExit = true
        proc.kill('SIGTERM')
        let timer: NodeJS.Timeout | undefined
        await Promise.race([exited(proc), new Promise((resolve) => (timer = setTimeout(resolve, graceMs)))])
        clearTimeout(timer)
        if (running(proc)) {
          proc.kill('SIGKILL')
          await exited(proc)
        }
      }
      file.end()
    },
    async waitReady(timeoutMs) {
      for (const until = Date.now() + timeoutMs; Date.now() < until;) {
        if (stopped) throw new Error(`${name} was stopped`)
        const ok = await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(2000) }).then(
          (r) => r.ok,
          () => false,
        )
        if (ok) return
        await new Promise((resolve) => setTimeout(resolve, 200))
      }
      throw new Error(`${name} was not ready within ${timeoutMs / 1000} s (see ${name}.log)`)
    },
  }
}

export function createServiceLog(): ServiceLog {
  return { crashes: [], errors: new Map() }
}

/** Counts pino lines at level 50 (error) and above by message. */
function noteError(log: ServiceLog, instance: string, line: string): void {
  let entry: { level?: number; msg?: string; err?: { message?: string; code?: string; stack?: string } } | undefined
  try {
    entry = JSON.parse(line) as typeof entry
  } catch {
    return
  }
  if ((entry?.level ?? 0) < 50) return
  // A failed query's message is the whole statement: its cause (the pg error, "caused by:" in the stack) says more.
  const err = entry?.err
  const cause = /caused by: (.*)/.exec(err?.stack ?? '')?.[1] ?? (err?.message ?? '').split('\n')[0]!
  const detail = err ? `: ${err.code ? `${err.code} ` : ''}${cause.replace(/, Worker: [0-9a-f-]{36}/, '').slice(0, 160)}` : ''
  const key = `${instance}: ${entry?.msg ?? '(no msg)'}${detail}`.slice(0, 300)
  log.errors.set(key, (log.errors.get(key) ?? 0) + 1)
}
