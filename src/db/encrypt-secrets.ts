import type pg from 'pg'
import type { Config } from '../config.ts'
import { hashToken, isTokenHash, loadSecretBox, type SecretBox } from '../lib/secret-box.ts'
import type { EndpointSecret } from './schema/webhooks.ts'

/** The keys the data migration seals with: SECRETS_KEY, else the key generated under DATA_DIR. */
export type SecretsKeysConfig = Pick<Config, 'secretsKeys' | 'dataDir'>

/**
 * Brings stored secrets to rest as this release keeps them: webhook endpoint secrets (the
 * grace list too) and source signing secrets sealed under the newest key (plaintext ones
 * from before secrets were sealed, and ones sealed under an older key of SECRETS_KEY), token
 * sources' tokens hashed. Runs after the drizzle migrations, under their lock, in one
 * transaction; values already as they should be are left alone, so running it again changes
 * nothing. A value sealed under a key id SECRETS_KEY no longer names stops it, naming the id.
 */
export async function encryptStoredSecrets(
  client: pg.Client,
  keys: SecretsKeysConfig | undefined,
): Promise<{ endpoints: number; sources: number }> {
  await client.query('begin')
  try {
    // Locked: an instance still running may rotate a secret meanwhile, and must not be overwritten.
    const endpoints = await client.query<{ id: string; secrets: EndpointSecret[] }>(
      'select id, secrets from webhook_endpoints order by id for update',
    )
    const sources = await client.query<{ id: string; auth: 'signature' | 'token'; secret: string }>(
      'select id, auth, secret from sources order by id for update',
    )
    let changed = { endpoints: 0, sources: 0 }
    if (endpoints.rows.length + sources.rows.length > 0) {
      if (!keys)
        throw new Error('webhook endpoints or sources are stored: migrate() needs the secrets keys (config) to bring their secrets to rest')
      changed = await bringToRest(client, await loadSecretBox(keys), endpoints.rows, sources.rows)
    }
    await client.query('commit')
    return changed
  } catch (error) {
    await client.query('rollback').catch(() => {})
    throw error
  }
}

async function bringToRest(
  client: pg.Client,
  box: SecretBox,
  endpoints: Array<{ id: string; secrets: EndpointSecret[] }>,
  sources: Array<{ id: string; auth: 'signature' | 'token'; secret: string }>,
): Promise<{ endpoints: number; sources: number }> {
  // open() answers a plaintext value as it is, so this seals plaintext and re-seals older keys alike.
  const sealed = (value: string) => (box.sealedUnderNewest(value) ? value : box.seal(box.open(value)))
  let endpointsChanged = 0
  for (const { id, secrets } of endpoints) {
    const next = secrets.map((s) => ({ ...s, secret: sealed(s.secret) }))
    if (next.every((s, i) => s.secret === secrets[i]!.secret)) continue
    await client.query('update webhook_endpoints set secrets = $2 where id = $1', [id, JSON.stringify(next)])
    endpointsChanged += 1
  }
  let sourcesChanged = 0
  for (const { id, auth, secret } of sources) {
    const next = auth === 'token' ? (isTokenHash(secret) ? secret : hashToken(secret)) : sealed(secret)
    if (next === secret) continue
    await client.query('update sources set secret = $2 where id = $1', [id, next])
    sourcesChanged += 1
  }
  return { endpoints: endpointsChanged, sources: sourcesChanged }
}
