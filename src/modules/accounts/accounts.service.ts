import type { Queryable } from '../../db/client.ts'
import { isUniqueViolation } from '../../db/errors.ts'
import type { AccountRow } from '../../db/schema/index.ts'
import type { ServiceDeps } from '../../lib/deps.ts'
import { normalizeDomain } from '../../lib/domains.ts'
import { Conflict, NotFound, invalidFields } from '../../lib/errors.ts'
import { newId } from '../../lib/ids.ts'
import { decodeCursor, toPage } from '../../lib/pagination.ts'
import { findLiveRep } from '../reps/reps.repo.ts'
import * as repo from './accounts.repo.ts'
import type { Account, CreateAccountBody, ListAccountsQuery, UpdateAccountBody } from './accounts.schemas.ts'

/** Accounts: companies a rep owns, recognised by their domains. */
export function createAccountsService({ db, clock }: Pick<ServiceDeps, 'db' | 'clock'>) {
  return {
    async create(input: CreateAccountBody): Promise<Account> {
      const now = clock.now()
      const id = newId()
      return db.transaction(async (tx) => {
        const domains = await assertValid(tx, id, input)
        const account = await repo.insertAccount(tx, { id, name: input.name.trim(), ownerId: input.ownerId ?? null, createdAt: now, updatedAt: now })
        await saveDomains(tx, id, domains ?? [])
        return toAccount(account, domains ?? [])
      })
    },

    async get(id: string): Promise<Account> {
      const account = await mustFind(db, id)
      return toAccount(account, (await repo.domainsOf(db, [id])).get(id) ?? [])
    },

    async list(query: ListAccountsQuery) {
      const limit = query.limit ?? 50
      const after = decodeCursor(query.cursor)
      const domain = query.domain === undefined ? undefined : (normalizeDomain(query.domain) ?? query.domain)
      const rows = await repo.listAccounts(db, { limit, ...(after ? { after } : {}), ...(query.ownerId ? { ownerId: query.ownerId } : {}), ...(domain ? { domain } : {}) })
      const page = toPage(rows, limit)
      const domains = await repo.domainsOf(db, page.data.map((a) => a.id))
      return { data: page.data.map((a) => toAccount(a, domains.get(a.id) ?? [])), nextCursor: page.nextCursor }
    },

    async update(id: string, changes: UpdateAccountBody): Promise<Account> {
      return db.transaction(async (tx) => {
        await mustFind(tx, id, 'update')
        const domains = await assertValid(tx, id, changes)
        const account = await repo.updateAccount(tx, id, {
          ...(changes.name !== undefined ? { name: changes.name.trim() } : {}),
          ...(changes.ownerId !== undefined ? { ownerId: changes.ownerId } : {}),
          updatedAt: clock.now(),
        })
        if (domains) await saveDomains(tx, id, domains)
        return toAccount(account, (await repo.domainsOf(tx, [id])).get(id) ?? [])
      })
    },

    async remove(id: string): Promise<void> {
      await db.transaction(async (tx) => {
        await mustFind(tx, id, 'update')
        await repo.deleteAccount(tx, id)
      })
    },
  }
}

export type AccountsService = ReturnType<typeof createAccountsService>

async function mustFind(db: Queryable, id: string, lock?: 'update'): Promise<AccountRow> {
  const account = await repo.findAccount(db, id, lock)
  if (!account) throw new NotFound(`No account with id ${id}.`)
  return account
}

/**
 * Checks the owner and normalises the domains (422 for malformed ones), then refuses
 * (409) domains that another account already holds. Returns the normalised domains.
 */
async function assertValid(db: Queryable, accountId: string, input: UpdateAccountBody): Promise<string[] | undefined> {
  const errors: Array<{ pointer: string; detail: string }> = []
  if (input.name !== undefined && input.name.trim() === '') errors.push({ pointer: '/name', detail: 'must not be blank' })
  if (input.ownerId && !(await findLiveRep(db, input.ownerId, 'share'))) errors.push({ pointer: '/ownerId', detail: 'no rep has this id' })
  const domains = input.domains?.map((raw, i) => {
    const domain = normalizeDomain(raw)
    if (!domain) errors.push({ pointer: `/domains/${i}`, detail: `"${raw}" is not a domain name (e.g. acme.com)` })
    return domain
  })
  if (errors.length > 0) throw invalidFields('The account is invalid.', errors)
  if (!domains) return undefined

  const unique = [...new Set(domains as string[])]
  const taken = await repo.domainsHeldElsewhere(db, unique, accountId)
  if (taken.length > 0) throw domainConflict(taken, input.domains ?? [], domains as string[])
  return unique
}

async function saveDomains(db: Queryable, accountId: string, domains: string[]): Promise<void> {
  try {
    await repo.replaceDomains(db, accountId, domains)
  } catch (error) {
    // Another account claimed one of these domains after our check: same answer as if it had been first.
    if (!isUniqueViolation(error, 'account_domains_pkey')) throw error
    throw new Conflict('One of these domains was just claimed by another account; retry to see which.')
  }
}

function domainConflict(taken: Array<{ domain: string; accountId: string }>, raw: string[], normalised: string[]) {
  const detail = taken.map((t) => `${t.domain} already belongs to account ${t.accountId}`).join('; ')
  return Object.assign(new Conflict(`${detail}.`), {
    errors: taken.map((t) => ({ in: 'body', pointer: `/domains/${normalised.indexOf(t.domain)}`, detail: `${raw[normalised.indexOf(t.domain)]} already belongs to account ${t.accountId}` })),
  })
}

function toAccount(account: AccountRow, domains: string[]): Account {
  return {
    id: account.id,
    name: account.name,
    domains: [...domains].sort(),
    ownerId: account.ownerId,
    createdAt: account.createdAt.toISOString(),
    updatedAt: account.updatedAt.toISOString(),
  }
}
