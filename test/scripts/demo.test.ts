// npm run demo, short: a throwaway Baton on its own embedded database, a team set up over
// the API, a stream of leads through acceptance, and a clean exit with nothing left behind.
import { execFileSync } from 'node:child_process'
import t from 'tap'
import { runScript } from '../helpers/run-script.ts'

t.test('the demo runs end to end and cleans up', async (t) => {
  const before = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })
    .split('\n')
    .filter((line) => line.includes('baton-demo')).length
  const result = await runScript(t, 'scripts/demo.ts', ['--seconds', '6', '--leads', '16'], {})
  t.equal(result.code, 0, 'exits 0', { stderr: result.stderr.slice(-2000) })
  t.match(result.stdout, /\d+ leads received: \d+ qualified/, 'prints the funnel summary')
  t.match(result.stdout, /all reps/, 'and the per-rep table')
  t.match(result.stdout, /webhooks: \d+ deliveries, \d+ distinct events, 0 bad signatures/, 'every webhook verified')
  const offers = Number(/(\d+) offers: SLA breach/.exec(result.stdout)?.[1])
  t.ok(offers > 0, 'offers were made')
  t.match(result.stdout, new RegExp(`email: \\d+ emails \\(${offers} offers, `), 'every offer was mailed to its rep')
  const after = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })
    .split('\n')
    .filter((line) => line.includes('baton-demo')).length
  t.equal(after, before, 'no database process of the demo is left')
})
