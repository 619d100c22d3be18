import { defineConfig } from 'drizzle-kit'

// Only `drizzle-kit generate` uses this: it diffs the schema files against migrations/.
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/db/schema/index.ts',
  out: './migrations',
})
