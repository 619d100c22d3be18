import { uuidv7 } from 'uuidv7'

/** A new time-ordered id (UUIDv7): sortable by creation, safe to expose. */
export const newId = (): string => uuidv7()

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

export const isUuid = (value: string): boolean => UUID.test(value)
