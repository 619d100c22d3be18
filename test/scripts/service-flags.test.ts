// The bench and the drill measure the service as it is deployed: with the same Node
// flags as `npm start` and the Dockerfile.
import { readFile } from 'node:fs/promises'
import t from 'tap'
import { SERVICE_NODE_FLAGS } from '../../scripts/service-flags.ts'

t.test('npm start and the Dockerfile run the service with SERVICE_NODE_FLAGS', async (t) => {
  const root = new URL('../../', import.meta.url)
  const start = (JSON.parse(await readFile(new URL('package.json', root), 'utf8')) as { scripts: { start: string } }).scripts.start
  t.equal(start, `node ${SERVICE_NODE_FLAGS.join(' ')} src/server.ts`, 'npm start')
  const cmd = /^CMD (.+)$/m.exec(await readFile(new URL('Dockerfile', root), 'utf8'))?.[1]
  t.same(JSON.parse(cmd ?? 'null'), ['node', ...SERVICE_NODE_FLAGS, 'src/server.ts'], 'Dockerfile CMD')
})
