// The handoff page in a real browser (Debian's chromium, driven by playwright-core): a rep
// opens the link from the email they were sent, reads the lead, and declines with a reason
// or accepts; axe finds no serious or critical accessibility problem; and the page fits a
// phone. A screenshot goes to test/artifacts/ for a person to look at.
import { existsSync, mkdirSync } from 'node:fs'
import t from 'tap'
import { chromium, type Browser } from 'playwright-core'
import { AxeBuilder } from '@axe-core/playwright'
import { freePort } from '../../src/lib/free-port.ts'
import { harness, team } from '../helpers/routing.ts'
import { startSmtp } from '../helpers/smtp.ts'

const CHROMIUM = '/usr/bin/chromium'
const ARTIFACTS = new URL('../artifacts/', import.meta.url)

// CI installs chromium (.ci/run) and must run this; a laptop without it is told how to.
if (!existsSync(CHROMIUM) && process.env.CI !== 'true') {
  t.comment(`${CHROMIUM} is missing (apt-get install chromium): the handoff page's browser tests did not run`)
  process.exit(0)
}

t.test('the handoff page, from the email link, in chromium', async (t) => {
  const smtp = await startSmtp(t)
  const port = await freePort()
  const publicUrl = `http://127.0.0.1:${port}`
  const h = await harness(t, undefined, { SMTP_URL: smtp.url, PUBLIC_URL: publicUrl })
  await h.baton.app.listen({ port, host: '127.0.0.1' })
  const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] })
  t.teardown(() => browser.close())

  const target = (address: string) => ({ timezone: 'Europe/Berlin', notificationTargets: [{ kind: 'email', address }] })
  const [ada, bob] = [
    await h.newRep({ name: 'Ada Rep', ...target('ada@mail.example') }),
    await h.newRep({ name: 'Bob Rep', ...target('bob@mail.example') }),
  ]
  await h.publish([{ name: 'enterprise desk', assign: team(await h.newTeam([ada, bob])) }])

  /** Posts a lead, sends its offer mail, and answers the link in the mail with who got it. */
  async function offeredLink() {
    const { lead, handoff } = await h.postLead({
      firstName: 'Grace',
      lastName: 'Hopper',
      company: 'Navy Labs',
      employees: 250,
      country: 'US',
      source: 'webinar',
      productInterest: ['analytics'],
      custom: { title: 'Rear Admiral' },
    })
    const [row] = await h.sql("select id from notifications where lead_id = $1 and message = 'offer'", [lead.id])
    await h.baton.services.notifier.send([row.id])
    const mail = smtp.mails.at(-1)!
    const link = /(http:\/\/127\.0\.0\.1:\d+\/v1\/handoffs\/accept\?token=\S+)/.exec(mail.text ?? '')![1]!
    const declineLink = /^Decline: (\S+)$/m.exec(mail.text ?? '')![1]!
    return { lead, handoff, link, declineLink, mail }
  }

  t.test('decline with a reason: the lead moves on to the other rep', async (t) => {
    const { lead, handoff, link, mail } = await offeredLink()
    t.equal(
      (mail.to as { text: string }).text,
      handoff.repId === ada ? 'ada@mail.example' : 'bob@mail.example',
      'mailed to the rep offered it',
    )
    // axe needs a context of its own (it injects into every frame of the page).
    const page = await (await browser.newContext({ viewport: { width: 390, height: 844 } })).newPage()
    await page.goto(link)
    t.equal(await page.locator('h1').innerText(), 'Grace Hopper')
    const text = await page.locator('main').innerText()
    t.match(text, /Accept by Mon 10:30 CET, in 30 minutes/, "the deadline in the rep's time, and how long is left")
    t.match(text, /Navy Labs/)
    t.match(text, /Rear Admiral/)
    t.match(text, /250 employees/)
    t.match(text, /demoRequested: yes/, 'what they asked for')
    t.match(text, /Interested in: analytics/)
    t.match(text, /Rule "enterprise desk"/, 'why this rep')
    t.notMatch(page.url(), /Grace|Hopper|Navy/, 'no lead data in the URL')
    const fits = await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')
    t.ok(fits, 'no sideways scrolling on a phone')

    const axe = await new AxeBuilder({ page }).analyze()
    const serious = axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
    t.same(
      serious.map((v) => `${v.id}: ${v.help}`),
      [],
      'axe: no serious or critical violation',
    )
    mkdirSync(ARTIFACTS, { recursive: true })
    await page.screenshot({ path: new URL('handoff-page.png', ARTIFACTS).pathname, fullPage: true })

    await page.getByLabel('Out of office').check()
    await page.getByLabel(/Anything the next rep/).fill('back on Monday')
    await page.getByRole('button', { name: 'Decline and pass it on' }).click()
    await page.waitForLoadState()
    t.equal(await page.locator('h1').innerText(), 'Declined')
    const rows = await h.sql('select rep_id, status, reason from handoffs where lead_id = $1 order by attempt', [lead.id])
    t.match(rows, [
      { rep_id: handoff.repId, status: 'declined', reason: 'Out of office: back on Monday' },
      { rep_id: handoff.repId === ada ? bob : ada, status: 'pending' },
    ])
    await page.goBack()
    await page.reload()
    t.equal(await page.locator('h1').innerText(), 'Nothing to do', 'the link again: used')
    await page.close()
  })

  t.test('accept: the lead is the rep’s', async (t) => {
    const { lead, handoff, link } = await offeredLink()
    const page = await browser.newPage()
    await page.goto(link)
    await page.getByRole('button', { name: 'Accept the lead' }).click()
    await page.waitForLoadState()
    t.equal(await page.locator('h1').innerText(), 'Accepted')
    t.match(await h.sql('select owner_id, status from leads where id = $1', [lead.id]), [{ owner_id: handoff.repId, status: 'accepted' }])
    await page.close()
  })

  t.test("the mail's decline link opens on the decline form; a tampered link is 400", async (t) => {
    const { link, declineLink } = await offeredLink()
    const page = await browser.newPage()
    await page.goto(declineLink)
    t.equal(
      await page.evaluate("document.activeElement?.getAttribute('value')"),
      'Not my territory or segment',
      'focus on the first reason',
    )
    const headings = await page.locator('h2').allInnerTexts()
    t.ok(headings.indexOf('Decline') < headings.indexOf('Accept'), 'decline comes first')
    await page.getByRole('button', { name: 'Decline and pass it on' }).click()
    t.equal(await page.locator('h1').innerText(), 'Grace Hopper', 'no reason picked: the browser keeps the form (required)')
    const tampered = await page.goto(link.slice(0, -3) + 'xyz')
    t.equal(tampered?.status(), 400)
    t.equal(await page.locator('h1').innerText(), 'This link cannot be used')
    await page.close()
  })
})
