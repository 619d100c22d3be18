import type { FastifySchemaCompiler } from 'fastify'
import { Ajv, type Options } from 'ajv'
import addFormats from 'ajv-formats'

const shared: Options = { allErrors: true, removeAdditional: false, useDefaults: true, strict: false }

// Bodies are JSON and must already have the right types: "5" is not a number.
// Query strings and path parameters are text, so they are converted.
const bodies = addFormats.default(new Ajv({ ...shared, coerceTypes: false }))
const text = addFormats.default(new Ajv({ ...shared, coerceTypes: 'array' }))

/** Compiles each route schema with the Ajv that suits the part of the request it checks. */
export const validatorCompiler: FastifySchemaCompiler<object> = ({ schema, httpPart }) =>
  (httpPart === 'body' ? bodies : text).compile(schema)
