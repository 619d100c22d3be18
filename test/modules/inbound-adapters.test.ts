import { createHmac } from 'node:crypto'
import t from 'tap'
import type { InboundRequest, SourceAdapter } from '../../src/modules/inbound/adapters/adapter.ts'
import { hubspotAdapter } from '../../src/modules/inbound/adapters/hubspot.ts'
import { tallyAdapter } from '../../src/modules/inbound/adapters/tally.ts'
import { typeformAdapter } from '../../src/modules/inbound/adapters/typeform.ts'
import { webflowAdapter } from '../../src/modules/inbound/adapters/webflow.ts'

// Signatures are computed here with node:crypto directly, as each provider documents them,
// so a mistake in the adapters' helper cannot cancel itself out.
const SECRET = 'test-secret-4f9c'
const NOW = new Date('2026-03-02T10:00:00.000Z')
const URL_ = 'https://baton.example.com/v1/inbound/src_01/submissions?token=a%3Ab'
const hmac = (secret: string, message: string, encoding: 'base64' | 'hex') => createHmac('sha256', secret).update(message).digest(encoding)
const minutesAgo = (minutes: number) => String(NOW.getTime() - minutes * 60_000)

const typeformPayload = {
  event_id: '01HQ2V7Q0Y8K8Z5E',
  event_type: 'form_response',
  form_response: {
    form_id: 'lT4Z3j',
    token: 'a3a12ec67a1365927098a606107fac15',
    submitted_at: '2026-03-02T09:59:30Z',
    definition: { id: 'lT4Z3j', title: 'Demo request', fields: [{ id: 'Jdd6', ref: 'work_email', type: 'email', title: 'Work email' }] },
    answers: [
      { type: 'email', email: 'jane@acme.com', field: { id: 'Jdd6', ref: 'work_email', type: 'email' } },
      { type: 'text', text: 'Acme GmbH', field: { id: 'Kx01', ref: 'company', type: 'short_text' } },
      { type: 'number', number: 250, field: { id: 'Kx02', ref: 'employees', type: 'number' } },
      { type: 'boolean', boolean: true, field: { id: 'Kx03', ref: 'wants_demo', type: 'yes_no' } },
      { type: 'phone_number', phone_number: '+4930123456', field: { id: 'Kx04', ref: 'phone', type: 'phone_number' } },
      { type: 'url', url: 'https://acme.com', field: { id: 'Kx05', ref: 'website', type: 'website' } },
      { type: 'date', date: '2026-04-01', field: { id: 'Kx06', ref: 'start', type: 'date' } },
      { type: 'choice', choice: { label: 'Germany' }, field: { id: 'Kx07', ref: 'country', type: 'dropdown' } },
      { type: 'choices', choices: { labels: ['CRM', 'Analytics'] }, field: { id: 'Kx08', ref: 'interest', type: 'multiple_choice' } },
    ],
    hidden: { utm_source: 'google', utm_campaign: 'q4-launch' },
  },
}

const tallyPayload = {
  eventId: 'a4cb511e-d513-4fa5-baee-b815d718dfd1',
  eventType: 'FORM_RESPONSE',
  createdAt: '2026-03-02T09:59:30.000Z',
  data: {
    responseId: '2wgx4n',
    submissionId: '2wgx4n-sub',
    respondentId: 'dwQKYm',
    formId: 'VwbNEw',
    formName: 'Demo request',
    createdAt: '2026-03-02T09:59:29.000Z',
    fields: [
      { key: 'question_3EKz4n', label: 'Work email', type: 'INPUT_EMAIL', value: 'jane@acme.com' },
      { key: 'question_w4Q0Vd', label: 'Employees', type: 'INPUT_NUMBER', value: 250 },
      {
        key: 'question_n0Gk1a',
        label: 'Country',
        type: 'MULTIPLE_CHOICE',
        value: ['5c4b7e1b'],
        options: [
          { id: '5c4b7e1b', text: 'Germany' },
          { id: '9a0d2f44', text: 'France' },
        ],
      },
      {
        key: 'question_mRVbqj',
        label: 'Interest',
        type: 'CHECKBOXES',
        value: ['c1', 'c2'],
        options: [
          { id: 'c1', text: 'CRM' },
          { id: 'c2', text: 'Analytics' },
          { id: 'c3', text: 'ERP' },
        ],
      },
    ],
  },
}

const webflowPayload = {
  triggerType: 'form_submission',
  payload: {
    name: 'Contact Us',
    siteId: '65427cf400e02b306eaa049c',
    data: { 'First Name': 'Zaphod', email: 'zaphod@heartofgold.ai', 'Phone Number': 15550000000 },
    schema: [{ fieldName: 'First Name', fieldType: 'FormTextInput', fieldElementId: '285042f7-d554-dc7f-102c-aa10d6a2d2c4' }],
    submittedAt: '2026-03-02T09:59:30.000Z',
    id: '6321ca84df3949bfc6752327',
    formId: '65429eadebe8a9f3a30f62d0',
  },
}

const hubspotPayload = {
  vid: 3234574,
  'form-submissions': [{ 'conversion-id': '1b0f7ec7-1cb6-4a0c-a3cd-2b3b1ca1f31c', 'form-id': 'e5d3f1b2', timestamp: 1772445570000 }],
  properties: { email: { value: 'jane@acme.com', versions: [] }, company: { value: 'Acme GmbH' }, numemployees: '250' },
}

function request(body: string, headers: Record<string, string | undefined>, url = URL_): InboundRequest {
  return { method: 'POST', url, headers, rawBody: Buffer.from(body) }
}

/** A provider: how to sign a body as the provider would, at a timestamp (ms) when it signs one. */
interface Provider {
  adapter: SourceAdapter
  payload: unknown
  sign(body: string, secret: string, timestamp: string): Record<string, string>
  /** The same headers with the signature made unusable in a way particular to the scheme. */
  malformed: Array<[string, (headers: Record<string, string>) => Record<string, string>]>
  timestamped: boolean
}

const providers: Record<string, Provider> = {
  typeform: {
    adapter: typeformAdapter,
    payload: typeformPayload,
    sign: (body, secret) => ({ 'typeform-signature': `sha256=${hmac(secret, body, 'base64')}` }),
    malformed: [
      ['no sha256= prefix', (h) => ({ 'typeform-signature': h['typeform-signature']!.slice('sha256='.length) })],
      ['sha1= prefix', (h) => ({ 'typeform-signature': h['typeform-signature']!.replace('sha256=', 'sha1=') })],
      [
        'hex instead of base64',
        (h) => ({ 'typeform-signature': `sha256=${Buffer.from(h['typeform-signature']!.slice(7), 'base64').toString('hex')}` }),
      ],
      ['truncated', (h) => ({ 'typeform-signature': h['typeform-signature']!.slice(0, -4) })],
      ['not base64 at all', () => ({ 'typeform-signature': 'sha256=%%%not-base64%%%' })],
    ],
    timestamped: false,
  },
  tally: {
    adapter: tallyAdapter,
    payload: tallyPayload,
    sign: (body, secret) => ({ 'tally-signature': hmac(secret, body, 'base64') }),
    malformed: [
      ['with a sha256= prefix', (h) => ({ 'tally-signature': `sha256=${h['tally-signature']!}` })],
      ['hex instead of base64', (h) => ({ 'tally-signature': Buffer.from(h['tally-signature']!, 'base64').toString('hex') })],
      ['truncated', (h) => ({ 'tally-signature': h['tally-signature']!.slice(0, -4) })],
    ],
    timestamped: false,
  },
  webflow: {
    adapter: webflowAdapter,
    payload: webflowPayload,
    sign: (body, secret, timestamp) => ({
      'x-webflow-timestamp': timestamp,
      'x-webflow-signature': hmac(secret, `${timestamp}:${body}`, 'hex'),
    }),
    malformed: [
      ['non-hex signature', (h) => ({ ...h, 'x-webflow-signature': 'z'.repeat(64) })],
      ['base64 instead of hex', (h) => ({ ...h, 'x-webflow-signature': Buffer.from(h['x-webflow-signature']!, 'hex').toString('base64') })],
      ['truncated', (h) => ({ ...h, 'x-webflow-signature': h['x-webflow-signature']!.slice(0, -2) })],
      ['timestamp in seconds with a fraction', (h) => ({ ...h, 'x-webflow-timestamp': '1772445600.5' })],
    ],
    timestamped: true,
  },
  hubspot: {
    adapter: hubspotAdapter,
    payload: hubspotPayload,
    // HubSpot signs the URI with the escapes of its table decoded (here %3A becomes ":").
    sign: (body, secret, timestamp) => ({
      'x-hubspot-request-timestamp': timestamp,
      'x-hubspot-signature-v3': hmac(secret, `POST${URL_.replace('%3A', ':')}${body}${timestamp}`, 'base64'),
    }),
    malformed: [
      [
        'hex instead of base64',
        (h) => ({ ...h, 'x-hubspot-signature-v3': Buffer.from(h['x-hubspot-signature-v3']!, 'base64').toString('hex') }),
      ],
      ['v1-style sha256= prefix', (h) => ({ ...h, 'x-hubspot-signature-v3': `sha256=${h['x-hubspot-signature-v3']!}` })],
      ['non-numeric timestamp', (h) => ({ ...h, 'x-hubspot-request-timestamp': 'yesterday' })],
    ],
    timestamped: true,
  },
}

for (const [name, provider] of Object.entries(providers)) {
  t.test(`${name}: verify`, async (t) => {
    const body = JSON.stringify(provider.payload)
    const now = minutesAgo(0)
    const good = provider.sign(body, SECRET, now)
    const verify = (req: InboundRequest) => provider.adapter.verify(req, SECRET, NOW)

    t.same(verify(request(body, good)), { ok: true }, 'a request signed as the provider signs it is accepted')
    const cases: Array<[string, InboundRequest, string]> = [
      ['a tampered body', request(body.replace('acme', 'acne').replace('Zaphod', 'Zaphot'), good), 'bad_signature'],
      ['one byte appended to the body', request(`${body} `, good), 'bad_signature'],
      ['a wrong secret', request(body, provider.sign(body, 'another-secret', now)), 'bad_signature'],
      ['no headers', request(body, {}), 'missing_signature'],
      ['empty signature headers', request(body, Object.fromEntries(Object.keys(good).map((key) => [key, '']))), 'missing_signature'],
      ...provider.malformed.map(([label, mangle]): [string, InboundRequest, string] => [
        label,
        request(body, mangle(good)),
        'bad_signature',
      ]),
    ]
    if (provider.timestamped) {
      const [timestampHeader] = Object.keys(good).filter((key) => key.endsWith('timestamp'))
      cases.push(
        ['a timestamp 6 minutes old', request(body, provider.sign(body, SECRET, minutesAgo(6))), 'stale_timestamp'],
        ['a timestamp 6 minutes ahead', request(body, provider.sign(body, SECRET, minutesAgo(-6))), 'stale_timestamp'],
        [
          'a fresh timestamp swapped into an old signature',
          request(body, { ...provider.sign(body, SECRET, minutesAgo(1)), [timestampHeader!]: now }),
          'bad_signature',
        ],
        ['only the timestamp header', request(body, { [timestampHeader!]: now }), 'missing_signature'],
      )
      t.same(verify(request(body, provider.sign(body, SECRET, minutesAgo(4)))), { ok: true }, 'a timestamp 4 minutes old is accepted')
    }
    for (const [label, req, reason] of cases) {
      const result = verify(req)
      t.equal(result.ok ? 'ok' : result.reason, reason, label)
    }
  })
}

t.test('extraction gives the field map and the submission id', async (t) => {
  const cases: Array<[string, SourceAdapter, unknown, string | undefined, Record<string, unknown>]> = [
    [
      'typeform keys answers by ref, hidden fields by name',
      typeformAdapter,
      typeformPayload,
      'a3a12ec67a1365927098a606107fac15',
      {
        work_email: 'jane@acme.com',
        company: 'Acme GmbH',
        employees: 250,
        wants_demo: true,
        phone: '+4930123456',
        website: 'https://acme.com',
        start: '2026-04-01',
        country: 'Germany',
        interest: ['CRM', 'Analytics'],
        utm_source: 'google',
        utm_campaign: 'q4-launch',
      },
    ],
    [
      'tally keys by key and label, options become their text',
      tallyAdapter,
      tallyPayload,
      '2wgx4n-sub',
      {
        question_3EKz4n: 'jane@acme.com',
        'Work email': 'jane@acme.com',
        question_w4Q0Vd: 250,
        Employees: 250,
        question_n0Gk1a: ['Germany'],
        Country: ['Germany'],
        question_mRVbqj: ['CRM', 'Analytics'],
        Interest: ['CRM', 'Analytics'],
      },
    ],
    [
      'webflow keys by field name',
      webflowAdapter,
      webflowPayload,
      '6321ca84df3949bfc6752327',
      {
        'First Name': 'Zaphod',
        email: 'zaphod@heartofgold.ai',
        'Phone Number': 15550000000,
      },
    ],
    [
      'hubspot legacy contact: property values and the latest conversion id',
      hubspotAdapter,
      hubspotPayload,
      '1b0f7ec7-1cb6-4a0c-a3cd-2b3b1ca1f31c',
      {
        email: 'jane@acme.com',
        company: 'Acme GmbH',
        numemployees: '250',
      },
    ],
    [
      'hubspot forms shape: fields as [{name, value}]',
      hubspotAdapter,
      {
        submittedAt: '1772445570000',
        conversionId: 'c-77',
        fields: [
          { name: 'email', value: 'jane@acme.com' },
          { name: 'firstname', value: 'Jane' },
        ],
      },
      'c-77',
      {
        email: 'jane@acme.com',
        firstname: 'Jane',
      },
    ],
    [
      'hubspot forms API listing: values, in a list of one',
      hubspotAdapter,
      [{ conversionId: 'c-78', values: [{ name: 'email', value: 'joe@acme.com' }] }],
      'c-78',
      { email: 'joe@acme.com' },
    ],
    [
      'hubspot workflow with flat properties and no id',
      hubspotAdapter,
      { objectId: 51, properties: { email: 'amy@acme.com' } },
      undefined,
      { email: 'amy@acme.com' },
    ],
  ]
  for (const [label, adapter, payload, submissionId, fields] of cases) {
    const body = JSON.stringify(payload)
    t.same(adapter.extract(JSON.parse(body), request(body, {})), { ok: true, submission: { submissionId, fields } }, label)
  }
})

t.test('extraction falls back to other ids and copes with odd answers', async (t) => {
  const { token: _token, ...withoutToken } = typeformPayload.form_response
  const typeform = typeformAdapter.extract(
    { ...typeformPayload, form_response: { ...withoutToken, answers: [], hidden: undefined } },
    request('', {}),
  )
  t.same(typeform, { ok: true, submission: { submissionId: '01HQ2V7Q0Y8K8Z5E', fields: {} } }, 'typeform without a token uses event_id')

  const other = typeformAdapter.extract(
    {
      event_type: 'form_response',
      form_response: {
        token: 't1',
        answers: [
          { type: 'choice', choice: { other: 'Mars' }, field: { id: 'a', ref: 'planet', type: 'multiple_choice' } },
          { type: 'choices', choices: { labels: ['CRM'], other: 'Billing' }, field: { id: 'b', ref: 'interest', type: 'multiple_choice' } },
          { type: 'text', text: 'x', field: { id: 'c', ref: '__proto__', type: 'short_text' } },
        ],
      },
    },
    request('', {}),
  )
  t.ok(other.ok)
  if (other.ok) {
    t.equal(other.submission.fields.planet, 'Mars', 'an "other" choice is its text')
    t.same(other.submission.fields.interest, ['CRM', 'Billing'], 'an "other" among choices is added to the labels')
    t.equal(Object.getOwnPropertyDescriptor(other.submission.fields, '__proto__')?.value, 'x', 'a ref named __proto__ is an ordinary field')
    t.equal(Object.getPrototypeOf(other.submission.fields), Object.prototype)
  }

  const { submissionId: _s, ...withoutSubmissionId } = tallyPayload.data
  const tally = tallyAdapter.extract(
    {
      ...tallyPayload,
      data: {
        ...withoutSubmissionId,
        fields: [
          { key: 'question_a', label: 'Email', type: 'INPUT_EMAIL', value: 'a@x.com' },
          { key: 'question_b', label: 'Email', type: 'INPUT_EMAIL', value: 'b@x.com' },
          { key: 'question_c', label: 'question_a', type: 'INPUT_TEXT', value: 'label clash' },
          { key: 'question_d', label: 'Plan', type: 'DROPDOWN', value: 'unknown-id', options: [{ id: 'p1', text: 'Pro' }] },
        ],
      },
    },
    request('', {}),
  )
  t.same(
    tally,
    {
      ok: true,
      submission: {
        submissionId: '2wgx4n',
        fields: {
          question_a: 'a@x.com',
          question_b: 'b@x.com',
          question_c: 'label clash',
          question_d: 'unknown-id',
          Email: 'a@x.com',
          Plan: 'unknown-id',
        },
      },
    },
    'tally: responseId stands in, keys beat labels, the first of two equal labels wins, unknown option ids stay',
  )
})

t.test('malformed payloads are refused, never thrown', async (t) => {
  const shared: unknown[] = [null, undefined, 42, 'text', true, [], {}, [null]]
  const cases: Array<[SourceAdapter, unknown[]]> = [
    [
      typeformAdapter,
      [
        ...shared,
        { event_type: 'form_response' },
        { event_type: 'form_response', form_response: null },
        { event_type: 'form_response', form_response: { token: 't' } },
        { event_type: 'form_response', form_response: { answers: 'none' } },
        { event_type: 'form_response', form_response: { answers: [null] } },
        { event_type: 'form_response', form_response: { answers: [{ type: 'text', text: 'x' }] } },
        { event_type: 'form_response', form_response: { answers: [{ type: 'text', text: 'x', field: { type: 'short_text' } }] } },
        { event_type: 'form_response', form_response: { answers: [{ text: 'x', field: { ref: 'a' } }] } },
        { event_type: 'form_response', form_response: { answers: [], hidden: ['utm'] } },
        { ...typeformPayload, event_type: 'form_response_partial' },
      ],
    ],
    [
      tallyAdapter,
      [
        ...shared,
        { eventType: 'FORM_RESPONSE' },
        { eventType: 'FORM_RESPONSE', data: { fields: {} } },
        { eventType: 'FORM_RESPONSE', data: { fields: [null] } },
        { eventType: 'FORM_RESPONSE', data: { fields: [{ label: 'Email', value: 'a@x.com' }] } },
        { eventType: 'FORM_RESPONSE', data: { fields: [{ key: 7, value: 'a@x.com' }] } },
        { ...tallyPayload, eventType: 'FORM_CREATED' },
      ],
    ],
    [
      webflowAdapter,
      [
        ...shared,
        { triggerType: 'form_submission' },
        { triggerType: 'form_submission', payload: { data: 'x' } },
        { triggerType: 'form_submission', payload: { data: [['email', 'a@x.com']] } },
        { ...webflowPayload, triggerType: 'site_publish' },
      ],
    ],
    [
      hubspotAdapter,
      [
        ...shared,
        [hubspotPayload, hubspotPayload],
        [{ eventId: 1, subscriptionType: 'contact.creation', objectId: 123 }],
        { properties: 'email' },
        { properties: null },
        { fields: [{ value: 'a@x.com' }] },
        { values: [{ name: '', value: 'a@x.com' }] },
      ],
    ],
  ]
  for (const [adapter, payloads] of cases) {
    for (const payload of payloads) {
      const label = `${adapter.kind} ${JSON.stringify(payload) ?? 'undefined'}`
      let result: ReturnType<SourceAdapter['extract']> | undefined
      t.doesNotThrow(() => {
        result = adapter.extract(payload, request('', {}))
      }, label)
      t.equal(result?.ok, false, `${label} is refused`)
      t.match(result, { detail: /expected/ }, `${label} says what was expected`)
    }
  }
})

t.test('verify never throws on odd headers or bodies', async (t) => {
  const odd: Array<Record<string, string>> = [
    { 'typeform-signature': 'sha256=' },
    { 'tally-signature': '=' },
    { 'tally-signature': '\u0000' },
    { 'x-webflow-timestamp': '-1', 'x-webflow-signature': 'ab' },
    { 'x-webflow-timestamp': '9'.repeat(40), 'x-webflow-signature': 'ab' },
    { 'x-hubspot-request-timestamp': '1e3', 'x-hubspot-signature-v3': 'é' },
  ]
  for (const adapter of [typeformAdapter, tallyAdapter, webflowAdapter, hubspotAdapter]) {
    for (const headers of odd) {
      t.doesNotThrow(
        () => adapter.verify({ method: 'POST', url: '%%', headers, rawBody: Buffer.from([0xff, 0xfe]) }, '', NOW),
        `${adapter.kind} ${JSON.stringify(headers)}`,
      )
    }
  }
})

t.test('hubspot signs the URI with its listed escapes decoded, others kept', async (t) => {
  const body = '{"fields":[]}'
  const timestamp = minutesAgo(0)
  const url = 'https://baton.example.com/hooks/hubspot%2Fforms?next=a%40b%2Cc&q=x%20y'
  const asHubSpotSigns = 'https://baton.example.com/hooks/hubspot/forms?next=a@b,c&q=x%20y'
  const headersFor = (uri: string) => ({
    'x-hubspot-request-timestamp': timestamp,
    'x-hubspot-signature-v3': hmac(SECRET, `POST${uri}${body}${timestamp}`, 'base64'),
  })
  t.same(hubspotAdapter.verify(request(body, headersFor(asHubSpotSigns), url), SECRET, NOW), { ok: true }, 'the decoded URI verifies')
  t.same(hubspotAdapter.verify(request(body, headersFor(url), url), SECRET, NOW), { ok: true }, 'the URI as received verifies too')
  const spaceDecoded = hubspotAdapter.verify(request(body, headersFor(asHubSpotSigns.replace('%20', ' ')), url), SECRET, NOW)
  t.equal(spaceDecoded.ok, false, '%20 is not in the table, so a signature over a decoded space does not verify')
  const otherPath = hubspotAdapter.verify(request(body, headersFor(asHubSpotSigns), url.replace('hooks', 'hookz')), SECRET, NOW)
  t.equal(otherPath.ok, false, 'a signature for another URL does not verify')
  const getMethod = hubspotAdapter.verify({ ...request(body, headersFor(asHubSpotSigns), url), method: 'PUT' }, SECRET, NOW)
  t.equal(getMethod.ok, false, 'the method is signed')
})
