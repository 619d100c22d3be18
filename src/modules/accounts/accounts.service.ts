import type { Queryable, Tx } from '../../db/client.ts'
import { isUniqueViolation } from '../../db/errors.ts'
import type { AccountRow } from '../../db/schema/index.ts'
import type { ServiceDeps } from '../../lib/deps.ts'
import { isPublicSuffix, normalizeDomain } from '../../lib/domains.ts'
import { Conflict, NotFound, invalidFields, withFieldErrors } from '../../lib/errors.ts'
import { newId } from '../../lib/ids.ts'
import { decodeCursor, toPage } from '../../lib/pagination.ts'
import { findLiveRep } from '../reps/reps.repo.ts'
import { requestSweep } from '../routing/unrouted.ts'
import * as repo from './accounts.repo.ts'
import type { Account, CreateAccountBody, ListAccountsQuery, UpdateAccountBody } from './accounts.schemas.ts'

/**
 * Accounts: companies a rep owns, recognised by their domains. A change may give a
 * waiting lead an owner, so every write asks for unrouted leads to be tried again.
 */
export function createAccountsService({ db, clock, boss }: Pick<ServiceDeps, 'db' | 'clock' | 'boss'>) {
  return {
    async create(input: CreateAccountBody): Promise<Account> {
      const now = clock.now()
      const id = newId()
      return db.transaction(async (tx) => {
        const claim = (await assertValid(tx, id, input))!
        const account = await repo.insertAccount(tx, {
          id,
          name: input.name.trim(),
          ownerId: input.ownerId ?? null,
          createdAt: now,
          updatedAt: now,
        })
        await saveDomains(tx, id, claim)
        await requestSweep(tx, boss)
        return toAccount(account, claim.unique)
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
      const rows = await repo.listAccounts(db, {
        limit,
        ...(after ? { after } : {}),
        ...(query.ownerId ? { ownerId: query.ownerId } : {}),
        ...(domain ? { domain } : {}),
      })
      const page = toPage(rows, limit)
      const domains = await repo.domainsOf(
        db,
        page.data.map((a) => a.id),
      )
      return { data: page.data.map((a) => toAccount(a, domains.get(a.id) ?? [])), nextCursor: page.nextCursor }
    },

    async update(id: string, changes: UpdateAccountBody): Promise<Account> {
      return db.transaction(async (tx) => {
        await mustFind(tx, id, 'update')
        const claim = await assertValid(tx, id, changes)
        const account = await repo.updateAccount(tx, id, {
          ...(changes.name !== undefined ? { name: changes.name.trim() } : {}),
          ...(changes.ownerId !== undefined ? { ownerId: changes.ownerId } : {}),
          updatedAt: clock.now(),
        })
        if (claim) await saveDomains(tx, id, claim)
        await requestSweep(tx, boss)
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

/** The domains a request asks for: as sent (for messages), normalised per position, and deduplicated. */
interface DomainClaim {
  raw: string[]
  normalised: string[]
  unique: string[]
}

/**
 * Checks the owner and normalises the domains (422 for malformed ones), then refuses
 * (409) domains that another account already holds.
 */
async function assertValid(db: Queryable, accountId: string, input: UpdateAccountBody): Promise<DomainClaim | undefined> {
  const errors: Array<{ pointer: string; detail: string }> = []
  if (input.name !== undefined && input.name.trim() === '') errors.push({ pointer: '/name', detail: 'must not be blank' })
  if (input.ownerId && !(await findLiveRep(db, input.ownerId, 'share'))) errors.push({ pointer: '/ownerId', detail: 'no rep has this id' })
  const normalised = input.domains?.map((raw, i) => {
    const domain = normalizeDomain(raw)
    if (!domain) errors.push({ pointer: `/domains/${i}`, detail: `"${raw}" is not a domain name (e.g. acme.com)` })
    else if (isPublicSuffix(domain))
      // It would make every company under it (and their subdomains) this account's.
      errors.push({ pointer: `/domains/${i}`, detail: `${domain} is a public suffix, under which many companies register names` })
    return domain ?? ''
  })
  if (errors.length > 0) throw invalidFields('The account is invalid.', errors)
  if (!input.domains || !normalised) return undefined
  const claim = { raw: input.domains, normalised, unique: [...new Set(normalised)] }
  await refuseTakenDomains(db, accountId, claim)
  return claim
}

async function refuseTakenDomains(db: Queryable, accountId: string, claim: DomainClaim): Promise<void> {
  const taken = await repo.domainsHeldElsewhere(db, claim.unique, accountId)
  if (taken.length === 0) return
  const at = (domain: string) => claim.normalised.indexOf(domain)
  throw withFieldErrors(
    new Conflict(`${taken.map((t) => `${t.domain} already belongs to account ${t.accountId}`).join('; ')}.`),
    taken.map((t) => ({
      pointer: `/domains/${at(t.domain)}`,
      detail: `${claim.raw[at(t.domain)]} already belongs to account ${t.accountId}`,
    })),
  )
}

/**
 * Writes the domains in a savepoint: if another account claimed one between our check
 * and this insert (the primary key refuses it), the transaction is still usable to
 * find out who, and the caller gets the same 409 as if the other had been first. In sorted
 * order: two accounts inserting the same two domains in opposite orders would each wait for
 * the other's first, a deadlock (a 500) instead of one winner and a 409.
 */
async function saveDomains(tx: Tx, accountId: string, claim: DomainClaim): Promise<void> {
  try {
    await tx.transaction((savepoint) => repo.replaceDomains(savepoint, accountId, [...claim.unique].sort()))
  } catch (error) {
    if (!isUniqueViolation(error, 'account_domains_pkey')) throw error
    await refuseTakenDomains(tx, accountId, claim)
    throw error
  }
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
