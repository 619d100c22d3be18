/** A member name as one JSON Pointer segment (RFC 6901: "~" → "~0", "/" → "~1"). */
export const escapePointer = (name: string): string => name.replaceAll('~', '~0').replaceAll('/', '~1')
