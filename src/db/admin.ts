import pg from 'pg'

/**
 * Runs one statement on its own connection, outside any pool: CREATE / DROP DATABASE
 * cannot run in a transaction, and the tests, the bench and the demo make and drop
 * whole databases on the server they are given.
 */
export async function adminStatement(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    await client.query(sql)
  } finally {
    await client.end()
  }
}
