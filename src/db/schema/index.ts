export * from './reps.ts'
export * from './teams.ts'
export * from './accounts.ts'
export * from './scoring.ts'
