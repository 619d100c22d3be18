import t from 'tap'
import type { LightMyRequestResponse } from 'fastify'
import { buildTestApp } from '../helpers/app.ts'

const GHOST = '01900000-0000-7000-8000-000000000000'

const pointers = (res: LightMyRequestResponse) => (res.json().errors ?? []).map((e: { pointer: string }) => e.pointer).sort()
const ids = (res: LightMyRequestResponse) => res.json().data.map((a: { id: string }) => a.id)

t.test('accounts', async (t) => {
  const baton = await buildTestApp(t)
  // Signed afresh for each request: tests move the clock by hours, past a token's lifetime.
  const call = async (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object, query?: Record<string, string>) =>
    baton.app.inject({
      method,
      url,
      headers: await baton.auth('admin'),
      ...(payload === undefined ? {} : { payload }),
      ...(query ? { query } : {}),
    })
  const post = (payload: object) => call('POST', '/v1/accounts', payload)
  const patch = (id: string, payload: object) => call('PATCH', `/v1/accounts/${id}`, payload)
  const count = async (sql: string, params: unknown[] = []) => (await baton.deps.pool.query<{ n: number }>(sql, params)).rows[0]!.n
  const storedDomains = async (accountId: string) =>
    (
      await baton.deps.pool.query<{ domain: string }>('select domain from account_domains where account_id = $1 order by domain', [
        accountId,
      ])
    ).rows.map((r) => r.domain)
  const holderOf = async (domain: string) =>
    (await baton.deps.pool.query<{ account_id: string }>('select account_id from account_domains where domain = $1', [domain])).rows.map(
      (r) => r.account_id,
    )

  let reps = 0
  /** A fresh live rep; its id. */
  const newRep = async (): Promise<string> => {
    reps++
    const res = await call('POST', '/v1/reps', { name: `Rep ${reps}`, email: `rep${reps}@example.com`, timezone: 'UTC' })
    if (res.statusCode !== 201) throw new Error(`could not create a rep: ${res.body}`)
    return res.json().id
  }
  /** A fresh account; the account as answered. */
  const newAccount = async (payload: { name: string; domains: string[]; ownerId?: string | null }) => {
    const res = await post(payload)
    if (res.statusCode !== 201) throw new Error(`could not create an account: ${res.body}`)
    return res.json()
  }

  t.test('create normalises, dedupes and sorts the domains; get answers the same account', async (t) => {
    const owner = await newRep()
    const now = baton.clock.now().toISOString()
    const res = await post({
      name: '  Acme Corp ',
      domains: ['WWW.Acme.COM.', 'bücher.example', 'acme.com', ' Shop.Acme.com ', 'www.acme.com'],
      ownerId: owner,
    })
    t.equal(res.statusCode, 201)
    const account = res.json()
    t.same(
      account.domains,
      ['acme.com', 'shop.acme.com', 'xn--bcher-kva.example'],
      'lower-case, no www., no trailing dot, punycode, once each, sorted',
    )
    t.match(account, { name: 'Acme Corp', ownerId: owner, createdAt: now, updatedAt: now })
    t.match(account.id, /^[0-9a-f]{8}-[0-9a-f]{4}-7/, 'ids are UUIDv7')

    const fetched = await call('GET', `/v1/accounts/${account.id}`)
    t.equal(fetched.statusCode, 200)
    t.same(fetched.json(), account)
    t.same(await storedDomains(account.id), ['acme.com', 'shop.acme.com', 'xn--bcher-kva.example'], 'one row per domain, stored normalised')

    const unowned = await post({ name: "Nobody's", domains: ['unowned.example'] })
    t.equal(unowned.statusCode, 201)
    t.equal(unowned.json().ownerId, null, 'ownerId is optional')
    const explicit = await post({ name: "Nobody's either", domains: ['unowned-too.example'], ownerId: null })
    t.equal(explicit.statusCode, 201)
    t.equal(explicit.json().ownerId, null, 'ownerId may be null')

    const hundred = await post({ name: 'Conglomerate', domains: Array.from({ length: 100 }, (_, i) => `brand${i}.example`) })
    t.equal(hundred.statusCode, 201, '100 domains are allowed')
    t.equal(hundred.json().domains.length, 100)
  })

  t.test('a domain another account holds is a 409 naming the domain and that account', async (t) => {
    const acme = await newAccount({ name: 'Holder', domains: ['held.example', 'also-held.example'] })
    const accountsBefore = await count('select count(*)::int as n from accounts')
    const domainsBefore = await count('select count(*)::int as n from account_domains')

    const res = await post({ name: 'Squatter', domains: ['fresh.example', 'WWW.HELD.example'] })
    t.equal(res.statusCode, 409)
    t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8')
    const problem = res.json()
    t.equal(problem.code, 'conflict')
    t.match(problem.detail, /held\.example/, 'detail names the domain')
    t.match(problem.detail, acme.id, 'detail names the account holding it')
    t.equal(problem.errors.length, 1)
    t.match(
      problem.errors[0],
      { in: 'body', pointer: '/domains/1', detail: new RegExp(`held\\.example.*${acme.id}`, 'i') },
      'errors[] points at the domain and names the account',
    )

    t.equal(await count('select count(*)::int as n from accounts'), accountsBefore, 'no account was written')
    t.equal(await count('select count(*)::int as n from account_domains'), domainsBefore, 'no domain was written')
    t.same(await holderOf('fresh.example'), [], 'the free domain was not claimed either')

    const other = await newAccount({ name: 'Neighbour', domains: ['neighbour.example'] })
    const taking = await patch(other.id, { domains: ['neighbour.example', 'also-held.example'], name: 'Grabby' })
    t.equal(taking.statusCode, 409, 'a patch cannot take it either')
    t.match(taking.json(), { code: 'conflict', errors: [{ pointer: '/domains/1', detail: new RegExp(acme.id) }] })
    t.same((await call('GET', `/v1/accounts/${other.id}`)).json(), other, 'the refused patch changed nothing')
    t.same(await holderOf('also-held.example'), [acme.id])
  })

  t.test('bad inputs are 422 problems that point at the field, and write nothing', async (t) => {
    const gone = await newRep()
    t.equal((await call('DELETE', `/v1/reps/${gone}`)).statusCode, 204)
    const accountsBefore = await count('select count(*)::int as n from accounts')
    const domainsBefore = await count('select count(*)::int as n from account_domains')

    const cases: Array<[string, object, string[]]> = [
      ['words with spaces', { name: 'x', domains: ['ok1.example', 'not a domain'] }, ['/domains/1']],
      ['no dot', { name: 'x', domains: ['localhost'] }, ['/domains/0']],
      ['an IP address', { name: 'x', domains: ['10.0.0.1'] }, ['/domains/0']],
      ['a path', { name: 'x', domains: ['ok2.example', 'ok3.example', 'acme.com/path'] }, ['/domains/2']],
      ['a URL', { name: 'x', domains: ['https://acme.com'] }, ['/domains/0']],
      ['a port', { name: 'x', domains: ['acme.com:8080'] }, ['/domains/0']],
      ['an email address', { name: 'x', domains: ['ada@acme.com'] }, ['/domains/0']],
      ['an empty string', { name: 'x', domains: ['ok4.example', ''] }, ['/domains/1']],
      ['a blank string', { name: 'x', domains: ['   '] }, ['/domains/0']],
      ['several at once', { name: 'x', domains: ['localhost', 'ok5.example', '10.0.0.1'] }, ['/domains/0', '/domains/2']],
      ['unknown owner', { name: 'x', domains: ['ok6.example'], ownerId: GHOST }, ['/ownerId']],
      ['deleted owner', { name: 'x', domains: ['ok7.example'], ownerId: gone }, ['/ownerId']],
      ['owner not a uuid', { name: 'x', domains: ['ok8.example'], ownerId: 'ada' }, ['/ownerId']],
      ['no domains', { name: 'x', domains: [] }, ['/domains']],
      ['more than 100 domains', { name: 'x', domains: Array.from({ length: 101 }, (_, i) => `many${i}.example`) }, ['/domains']],
      ['a domain that is not a string', { name: 'x', domains: ['ok9.example', 42] }, ['/domains/1']],
      ['empty name', { name: '', domains: ['ok10.example'] }, ['/name']],
      ['blank name', { name: '  ', domains: ['ok11.example'] }, ['/name']],
      ['missing required fields', { ownerId: null }, ['/domains', '/name']],
      ['unknown property', { name: 'x', domains: ['ok12.example'], website: 'https://acme.com' }, ['/website']],
    ]
    for (const [name, payload, expected] of cases) {
      const res = await post(payload)
      t.equal(res.statusCode, 422, name)
      t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8', `${name}: problem+json`)
      const problem = res.json()
      t.equal(problem.code, 'validation_failed', `${name}: code`)
      t.ok(
        problem.errors.every((e: { in: string; detail: string }) => e.in === 'body' && e.detail.length > 0),
        `${name}: each error says where and what`,
      )
      t.same(pointers(res), [...expected].sort(), `${name}: pointers`)
    }

    const account = await newAccount({ name: 'Steady', domains: ['steady.example'] })
    const patches: Array<[string, object, string[]]> = [
      ['a malformed domain', { domains: ['steady.example', 'localhost'] }, ['/domains/1']],
      ['no domains', { domains: [] }, ['/domains']],
      ['unknown owner', { ownerId: GHOST, name: 'Changed' }, ['/ownerId']],
      ['unknown property', { website: 'x' }, ['/website']],
      ['nothing at all', {}, ['']],
    ]
    for (const [name, payload, expected] of patches) {
      const res = await patch(account.id, payload)
      t.equal(res.statusCode, 422, `patch: ${name}`)
      t.same(pointers(res), expected, `patch: ${name}: pointers`)
    }
    t.same((await call('GET', `/v1/accounts/${account.id}`)).json(), account, 'refused patches changed nothing')

    t.equal(await count('select count(*)::int as n from accounts'), accountsBefore + 1, 'no account was written but the valid one')
    t.equal(await count('select count(*)::int as n from account_domains'), domainsBefore + 1, 'no domain was written but the valid one')
  })

  t.test('patch replaces the domains and the owner; null clears the owner', async (t) => {
    const [ada, bo] = [await newRep(), await newRep()]
    const account = await newAccount({ name: 'Shifting', domains: ['one.example', 'two.example'], ownerId: ada })
    baton.clock.advance(60_000)

    const res = await patch(account.id, { domains: ['Two.Example', 'www.three.example'], ownerId: bo })
    t.equal(res.statusCode, 200)
    t.same(res.json(), { ...account, domains: ['three.example', 'two.example'], ownerId: bo, updatedAt: baton.clock.now().toISOString() })
    t.same(await storedDomains(account.id), ['three.example', 'two.example'], 'the stored list is the new one')
    t.same(await holderOf('one.example'), [], 'the dropped domain is free')
    t.equal((await post({ name: 'Taker', domains: ['one.example'] })).statusCode, 201, 'and another account can take it')

    const cleared = await patch(account.id, { ownerId: null })
    t.equal(cleared.statusCode, 200)
    t.same(cleared.json(), { ...res.json(), ownerId: null }, 'null clears the owner and leaves the domains')

    const renamed = await patch(account.id, { name: 'Shifted' })
    t.equal(renamed.statusCode, 200)
    t.same(renamed.json(), { ...cleared.json(), name: 'Shifted' }, 'a patch without domains keeps them')

    const same = await patch(account.id, { domains: ['three.example', 'TWO.example', 'two.example'] })
    t.equal(same.statusCode, 200, 'an account does not conflict with itself')
    t.same(same.json().domains, ['three.example', 'two.example'])

    t.equal((await patch(GHOST, { name: 'Nobody' })).statusCode, 404)
  })

  t.test('list filters by owner and by domain (normalised), and paginates', async (t) => {
    const [ada, bo] = [await newRep(), await newRep()]
    const adas = [
      (await newAccount({ name: 'Ada 1', domains: ['ada-one.example'], ownerId: ada })).id,
      (await newAccount({ name: 'Ada 2', domains: ['ada-two.example', 'münchen.example'], ownerId: ada })).id,
    ]
    const bos = (await newAccount({ name: 'Bo 1', domains: ['bo-one.example'], ownerId: bo })).id

    const byOwner = await call('GET', `/v1/accounts?ownerId=${ada}`)
    t.equal(byOwner.statusCode, 200)
    t.same(ids(byOwner), adas, 'exactly the accounts ada owns')
    t.same(ids(await call('GET', `/v1/accounts?ownerId=${bo}`)), [bos])
    t.same((await call('GET', `/v1/accounts?ownerId=${GHOST}`)).json(), { data: [], nextCursor: null })

    for (const domain of ['ada-two.example', 'WWW.Ada-Two.EXAMPLE.', 'münchen.example', 'xn--mnchen-3ya.example']) {
      const res = await call('GET', '/v1/accounts', undefined, { domain })
      t.equal(res.statusCode, 200, domain)
      t.same(ids(res), [adas[1]], `?domain=${domain} finds the account`)
    }
    t.same(ids(await call('GET', '/v1/accounts?domain=nobody.example')), [], 'an unheld domain finds nothing')
    t.same(ids(await call(`GET`, `/v1/accounts?domain=ada-one.example&ownerId=${bo}`)), [], 'filters combine')

    const seen: string[] = []
    let cursor: string | null = null
    do {
      const query: Record<string, string> = cursor ? { limit: '2', cursor } : { limit: '2' }
      const res = await call('GET', '/v1/accounts', undefined, query)
      t.equal(res.statusCode, 200)
      const page = res.json()
      t.ok(page.data.length <= 2)
      seen.push(...ids(res))
      cursor = page.nextCursor
    } while (cursor)
    const all = await call('GET', '/v1/accounts?limit=500')
    t.equal(all.json().nextCursor, null)
    t.same(seen, ids(all), 'pages add up to the full list, in order, without repeats')
    t.equal(new Set(seen).size, seen.length)
    t.ok(seen.length >= 3)

    const firstOfAda = (await call('GET', `/v1/accounts?ownerId=${ada}&limit=1`)).json()
    t.same(
      firstOfAda.data.map((a: { id: string }) => a.id),
      [adas[0]],
    )
    const restOfAda = await call('GET', `/v1/accounts?ownerId=${ada}&limit=1&cursor=${firstOfAda.nextCursor}`)
    t.same(ids(restOfAda), [adas[1]], 'the filter holds across pages')
    t.equal(restOfAda.json().nextCursor, null)

    for (const bad of ['ownerId=ada', 'limit=0', 'limit=501', 'cursor=garbage', 'domain=', 'colour=red']) {
      const res = await call('GET', `/v1/accounts?${bad}`)
      t.equal(res.statusCode, 400, bad)
      t.equal(res.json().errors[0].in, 'query', `${bad}: points into the query`)
    }
  })

  t.test('delete: 204, then 404, and the domains are free again', async (t) => {
    const account = await newAccount({ name: 'Closing', domains: ['closing.example', 'closing-too.example'] })
    const del = await call('DELETE', `/v1/accounts/${account.id}`)
    t.equal(del.statusCode, 204)
    t.equal(del.body, '')
    t.equal((await call('GET', `/v1/accounts/${account.id}`)).statusCode, 404)
    t.equal((await call('DELETE', `/v1/accounts/${account.id}`)).statusCode, 404)
    t.equal((await patch(account.id, { name: 'Zombie' })).statusCode, 404)
    t.equal(await count('select count(*)::int as n from account_domains where account_id = $1', [account.id]), 0, 'no domain left behind')

    const successor = await post({ name: 'Successor', domains: ['closing.example'] })
    t.equal(successor.statusCode, 201, 'another account can now take its domain')
    t.same(await holderOf('closing.example'), [successor.json().id])
  })

  t.test('unknown and malformed ids', async (t) => {
    t.equal((await call('GET', `/v1/accounts/${GHOST}`)).statusCode, 404)
    t.equal((await call('DELETE', `/v1/accounts/${GHOST}`)).statusCode, 404)
    const bad = await call('GET', '/v1/accounts/not-a-uuid')
    t.equal(bad.statusCode, 400)
    t.match(bad.json().errors, [{ in: 'path', pointer: '/id' }])
  })

  t.test('a rep who owns an account cannot be deleted', async (t) => {
    const owner = await newRep()
    const account = await newAccount({ name: 'Owned', domains: ['owned.example'], ownerId: owner })
    const refused = await call('DELETE', `/v1/reps/${owner}`)
    t.equal(refused.statusCode, 409)
    t.equal(refused.headers['content-type'], 'application/problem+json; charset=utf-8')
    t.match(refused.json(), { code: 'conflict', conflicts: { ownedAccounts: 1, directReports: 0, managedTeams: 0 } })
    t.equal((await call('GET', `/v1/reps/${owner}`)).statusCode, 200, 'the owner is still there')
    t.equal((await call('GET', `/v1/accounts/${account.id}`)).json().ownerId, owner, 'and still owns the account')

    t.equal((await patch(account.id, { ownerId: null })).statusCode, 200)
    t.equal((await call('DELETE', `/v1/reps/${owner}`)).statusCode, 204, 'once the account is handed over, the rep can go')
  })

  t.test('ten accounts claiming one domain at once: one wins, nine get 409, none 500', async (t) => {
    for (const [round, domain] of ['race.example', 'RACE-2.example'].entries()) {
      const normal = domain.toLowerCase()
      const responses = await Promise.all(
        Array.from({ length: 10 }, (_, i) => post({ name: `Claim ${round}-${i}`, domains: [`own-${round}-${i}.example`, domain] })),
      )
      const statuses = responses.map((r) => r.statusCode).sort()
      t.same(statuses, [201, ...Array<number>(9).fill(409)], `${domain}: one 201 and nine 409s`)
      const winner = responses.find((r) => r.statusCode === 201)?.json()
      for (const res of responses.filter((r) => r.statusCode === 409)) {
        t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8')
        // A loser is told what it would be told had it come second: which domain, held by which account.
        t.match(
          res.json(),
          {
            code: 'conflict',
            detail: new RegExp(`${normal.replaceAll('.', '\\.')}.*${winner?.id}`),
            errors: [{ in: 'body', pointer: '/domains/1', detail: new RegExp(`${winner?.id}`) }],
          },
          `${domain}: the 409 names the domain and the account that took it`,
        )
      }
      t.same(await holderOf(normal), winner ? [winner.id] : [], `${domain}: exactly one row, the winner's`)
      t.equal(
        await count('select count(*)::int as n from accounts where name like $1', [`Claim ${round}-%`]),
        1,
        `${domain}: the losers wrote no account`,
      )
      t.equal(
        await count('select count(*)::int as n from account_domains where domain like $1', [`own-${round}-%`]),
        1,
        `${domain}: nor any of their other domains`,
      )
    }
  })

  t.test('accounts claiming the same domains in opposite orders at once: one wins, the rest 409, none 500', async (t) => {
    for (let round = 0; round < 5; round++) {
      const pair = [`pair-a-${round}.example`, `pair-b-${round}.example`]
      const responses = await Promise.all(
        Array.from({ length: 10 }, (_, i) => post({ name: `Pair ${round}-${i}`, domains: i % 2 === 0 ? pair : [...pair].reverse() })),
      )
      const statuses = responses.map((r) => r.statusCode).sort()
      t.same(statuses, [201, ...Array<number>(9).fill(409)], `round ${round}: one 201 and nine 409s, got ${statuses.join(',')}`)
      const winner = responses.find((r) => r.statusCode === 201)?.json()
      for (const domain of pair)
        t.same(await holderOf(domain), winner ? [winner.id] : [], `round ${round}: ${domain} belongs to the winner alone`)
    }
  })
})
