// Load generator, run as its own process: POSTs N unique qualifying leads at a fixed
// concurrency over keep-alive connections and prints {count, errors, seconds, latencies}.
import { parseArgs } from 'node:util'

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    token: { type: 'string' },
    concurrency: { type: 'string' },
    count: { type: 'string' },
    tag: { type: 'string' },
  },
})
const url = `${values.url}/v1/leads`
const concurrency = Number(values.concurrency)
const total = Number(values.count)
const headers = { authorization: `Bearer ${values.token}`, 'content-type': 'application/json' }

let issued = 0
let errors = 0
const latencies: number[] = []
async function worker() {
  while (issued < total) {
    const i = issued++
    const body = JSON.stringify({
      email: `b${values.tag}-${i}@bench${i % 97}.example`,
      company: 'Bench Co',
      employees: 120 + (i % 900),
      country: 'DE',
      signals: { demoRequested: true },
    })
    const started = performance.now()
    const res = await fetch(url, { method: 'POST', headers, body }).catch(() => undefined)
    if (res) await res.arrayBuffer()
    latencies.push(performance.now() - started)
    if (!res || res.status !== 201) errors++
  }
}
const started = performance.now()
await Promise.all(Array.from({ length: concurrency }, worker))
console.log(JSON.stringify({ count: total, errors, seconds: (performance.now() - started) / 1000, latencies }))
