import { createHmac } from 'node:crypto'
import t from 'tap'
import { buildTestApp } from '../helpers/app.ts'

const SECRET = 'provider-signing-secret-0123456789'
const hmac = (...parts: string[]) => createHmac('sha256', SECRET).update(parts.join(''))

interface Provider {
  kind: string
  fieldMap: Record<string, string>
  /** A submission in the provider's documented shape, with this email and submission id. */
  body(email: string, id: string): object
  /** The headers the provider sends, signed as the provider signs (computed here, not by Baton's code). */
  sign(body: string, now: Date, url: string): Record<string, string>
  stale?: (body: string, now: Date, url: string) => Record<string, string>
}

const sixMinutesAgo = (now: Date) => new Date(now.getTime() - 6 * 60_000)

const providers: Provider[] = [
  {
    kind: 'typeform',
    fieldMap: { email: 'email', company: 'company', 'signals.demoRequested': 'demo' },
    body: (email, id) => ({
      event_id: `ev-${id}`,
      event_type: 'form_response',
      form_response: {
        form_id: 'f1',
        token: id,
        submitted_at: '2026-01-05T09:00:00Z',
        definition: { fields: [] },
        answers: [
          { type: 'email', email, field: { id: 'a', ref: 'email', type: 'email' } },
          { type: 'text', text: 'Acme', field: { id: 'b', ref: 'company', type: 'short_text' } },
          { type: 'boolean', boolean: true, field: { id: 'c', ref: 'demo', type: 'yes_no' } },
        ],
      },
    }),
    sign: (body) => ({ 'typeform-signature': `sha256=${hmac(body).digest('base64')}` }),
  },
  {
    kind: 'tally',
    fieldMap: { email: 'Email', company: 'Company', 'signals.demoRequested': 'Wants a demo' },
    body: (email, id) => ({
      eventId: `ev-${id}`,
      eventType: 'FORM_RESPONSE',
      createdAt: '2026-01-05T09:00:00Z',
      data: {
        responseId: `r-${id}`,
        submissionId: id,
        formId: 'f1',
        fields: [
          { key: 'question_a', label: 'Email', type: 'INPUT_EMAIL', value: email },
          { key: 'question_b', label: 'Company', type: 'INPUT_TEXT', value: 'Acme' },
          { key: 'question_c', label: 'Wants a demo', type: 'CHECKBOXES', value: true },
        ],
      },
    }),
    sign: (body) => ({ 'tally-signature': hmac(body).digest('base64') }),
  },
  {
    kind: 'webflow',
    fieldMap: { email: 'Email', company: 'Company', 'signals.demoRequested': 'Demo' },
    body: (email, id) => ({
      triggerType: 'form_submission',
      payload: {
        name: 'Contact',
        siteId: 's1',
        formId: 'f1',
        id,
        submittedAt: '2026-01-05T09:00:00Z',
        data: { Email: email, Company: 'Acme', Demo: true },
      },
    }),
    sign: (body, now) => ({
      'x-webflow-timestamp': String(now.getTime()),
      'x-webflow-signature': hmac(`${now.getTime()}:`, body).digest('hex'),
    }),
    stale: (body, now) => ({
      'x-webflow-timestamp': String(sixMinutesAgo(now).getTime()),
      'x-webflow-signature': hmac(`${sixMinutesAgo(now).getTime()}:`, body).digest('hex'),
    }),
  },
  {
    kind: 'hubspot',
    fieldMap: { email: 'email', company: 'company', 'signals.demoRequested': 'demo_requested' },
    body: (email, id) => ({
      conversionId: id,
      fields: [
        { name: 'email', value: email },
        { name: 'company', value: 'Acme' },
        { name: 'demo_requested', value: true },
      ],
    }),
    sign: (body, now, url) => ({
      'x-hubspot-request-timestamp': String(now.getTime()),
      'x-hubspot-signature-v3': hmac('POST', url, body, String(now.getTime())).digest('base64'),
    }),
    stale: (body, now, url) => ({
      'x-hubspot-request-timestamp': String(sixMinutesAgo(now).getTime()),
      'x-hubspot-signature-v3': hmac('POST', url, body, String(sixMinutesAgo(now).getTime())).digest('base64'),
    }),
  },
]

t.test('each provider, through POST /v1/inbound/:sourceId', async (t) => {
  // The URL a provider signs is the public one Baton handed out, whatever host the request reached.
  const baton = await buildTestApp(t, { env: { PUBLIC_URL: 'https://baton.example.com' } })
  const admin = await baton.auth('admin')

  for (const provider of providers) {
    t.test(provider.kind, async (t) => {
      const res = await baton.app.inject({
        method: 'POST',
        url: '/v1/sources',
        headers: admin,
        payload: { name: provider.kind, kind: provider.kind, secret: SECRET, fieldMap: provider.fieldMap },
      })
      t.equal(res.statusCode, 201)
      const source = res.json()
      t.equal(source.inboundUrl, `https://baton.example.com/v1/inbound/${source.id}`)
      const deliver = (body: string, headers: Record<string, string>) =>
        baton.app.inject({
          method: 'POST',
          url: `/v1/inbound/${source.id}`,
          headers: { 'content-type': 'application/json', ...headers },
          payload: body,
        })

      const body = JSON.stringify(provider.body(`${provider.kind}@acme.example`, `sub-${provider.kind}-1`))
      const signed = provider.sign(body, baton.clock.now(), source.inboundUrl)
      const first = await deliver(body, signed)
      t.equal(first.statusCode, 201, 'a signed submission is accepted')
      const lead = (await baton.app.inject({ url: `/v1/leads/${first.json().leadId}`, headers: admin })).json()
      t.match(lead, {
        email: `${provider.kind}@acme.example`,
        company: 'Acme',
        source: provider.kind,
        signals: { demoRequested: true },
        status: 'unrouted',
      })

      const replay = await deliver(body, signed)
      t.equal(replay.statusCode, 200, 'the provider retrying the same submission')
      t.same(replay.json(), { leadId: lead.id, status: 'unrouted', duplicate: true })
      t.equal(
        (await baton.app.inject({ url: `/v1/leads/${lead.id}`, headers: admin })).json().submissions,
        1,
        'no second submission recorded',
      )

      const forged = await deliver(body.replace('Acme', 'Evil'), signed)
      t.equal(forged.statusCode, 401)
      t.equal(forged.json().reason, 'bad_signature')
      const unsigned = await deliver(body, {})
      t.equal(unsigned.json().reason, 'missing_signature')
      if (provider.stale) {
        const stale = await deliver(body, provider.stale(body, baton.clock.now(), source.inboundUrl))
        t.equal(stale.statusCode, 401)
        t.equal(stale.json().reason, 'stale_timestamp')
      }
    })
  }
})
