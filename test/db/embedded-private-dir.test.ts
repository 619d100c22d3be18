// As root, the embedded PostgreSQL runs as the `postgres` user. In a folder that user cannot
// enter (a clone under /root, a mktemp -d folder) npm start used to die with an unhandled
// `spawn … initdb EACCES` stack trace (issue 17, finding 15): now one line says why and what to do.
import { chmod, mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import t from 'tap'
import { runScript } from '../helpers/run-script.ts'

const asRoot = process.getuid?.() === 0

t.test(
  'as root, a DATA_DIR the postgres user cannot reach: one clear line, no stack trace',
  { skip: asRoot ? false : 'only as root does PostgreSQL run as another user' },
  async (t) => {
    const privateDir = await mkdtemp(path.join(os.tmpdir(), 'baton-private-'))
    await chmod(privateDir, 0o700)
    t.teardown(() => rm(privateDir, { recursive: true, force: true }))
    const dataDir = path.join(privateDir, 'checkout', '.data')

    const { code, stdout, stderr } = await runScript(t, 'src/server.ts', [], { DATA_DIR: dataDir, LOG_LEVEL: 'silent', PORT: '0' })
    t.equal(code, 1, 'exits 1')
    const lines = stderr.trim().split('\n')
    t.equal(lines.length, 1, `one line: ${stderr}`)
    t.match(lines[0], new RegExp(`"postgres" user, who cannot enter ${privateDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(mode 700\\)`))
    t.match(lines[0], /Set DATA_DIR to a folder it can reach/)
    t.notMatch(stderr + stdout, /EACCES|at .*\.ts:\d+/, 'no spawn error and no stack trace')
  },
)
