// The handoff page's decline form without a browser: what a missing reason, "Other"
// without a word, a JSON client and a used link get, and that none of them changes anything
// they should not. (The browser tests are handoff-page-browser.test.ts.)
import t from 'tap'
import { handoffHarness, PROBLEM } from '../helpers/handoffs.ts'

const FORM = { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' }

t.test('declining through the link', async (t) => {
  const h = await handoffHarness(t)
  await h.setup(2)
  const offer = async () => {
    const { lead, handoff } = await h.postLead()
    const event = (await h.events(lead.id)).find((e) => e.type === 'lead.assigned')!
    const url = new URL(event.data.acceptUrl as string)
    return { lead, handoff, decline: `/v1/handoffs/decline${url.search}`, page: `${url.pathname}${url.search}` }
  }
  const post = (url: string, payload: string, headers: Record<string, string> = FORM) =>
    h.baton.app.inject({ method: 'POST', url, headers, payload })
  const status = async (id: string) => (await h.sql('select status, reason from handoffs where id = $1', [id]))[0]

  t.test('no reason: 422, the page again with the error, nothing declined', async (t) => {
    const { handoff, decline } = await offer()
    const res = await post(decline, 'note=')
    t.equal(res.statusCode, 422)
    t.match(res.headers['content-security-policy'], /frame-ancestors 'none'/)
    t.match(res.body, /role="alert">Pick a reason for passing the lead on\./)
    t.match(res.body, /Decline and pass it on/, 'the form is there to fix it')
    const other = await post(decline, 'reason=Other&note=++')
    t.equal(other.statusCode, 422)
    t.match(other.body, /Say in a few words why, for &#34;Other&#34;\./)
    t.match(await status(handoff.id), { status: 'pending', reason: null })
  })

  t.test('a picked reason and a note are the handoff’s reason; the lead moves on', async (t) => {
    const { lead, handoff, decline } = await offer()
    const res = await post(decline, `reason=${encodeURIComponent('No capacity right now')}&note=${encodeURIComponent('on a call all day')}`)
    t.equal(res.statusCode, 200)
    t.match(res.body, /<h1>Declined<\/h1>/)
    t.match(await status(handoff.id), { status: 'declined', reason: 'No capacity right now: on a call all day' })
    t.ok(
      (await h.events(lead.id)).some((e) => e.type === 'lead.rerouted'),
      'moved on',
    )
    const again = await post(decline, 'reason=Other&note=again')
    t.equal(again.statusCode, 409, 'the link again: used')
    t.match(again.body, /Nothing to do/)
  })

  t.test('JSON: 200 with the handoff, or a problem naming the field', async (t) => {
    const { handoff, decline } = await offer()
    const json = { 'content-type': 'application/json', accept: 'application/json' }
    const missing = await post(decline, '{}', json)
    t.equal(missing.statusCode, 422)
    t.equal(missing.headers['content-type'], PROBLEM)
    t.match(missing.json().errors, [{ pointer: '/reason' }])
    const ok = await post(decline, JSON.stringify({ reason: 'Other', note: 'wrong region' }), json)
    t.equal(ok.statusCode, 200)
    t.match(ok.json(), { id: handoff.id, status: 'declined', reason: 'wrong region' })
  })

  t.test('GET with action=decline puts the decline form first; GET changes nothing', async (t) => {
    const { handoff, page } = await offer()
    const res = await h.baton.app.inject({ method: 'GET', url: `${page}&action=decline` })
    t.equal(res.statusCode, 200)
    t.ok(res.body.indexOf('<h2>Decline</h2>') < res.body.indexOf('<h2 id="accept-h">Accept</h2>'))
    t.match(res.body, / required autofocus>/)
    t.match(await status(handoff.id), { status: 'pending' })
  })
})
