// A team target's attribute requirements: "a German-speaking rep for a lead whose
// custom.language is de". Reps of the team who do not match are ineligible for the lead,
// with a reason that names what they lack.
import type { Assign, AttributeRequirement, RepAttribute } from '../../db/schema/json/ruleset.ts'
import type { RepAttributes } from '../../db/schema/reps.ts'
import { fieldReader, fieldType, type FieldCatalog } from '../conditions/fields.ts'

/** A requirement ready to run: the lead field's reader built once per ruleset version. */
export interface CompiledRequirement {
  attribute: RepAttribute
  matches: string
  read: (lead: unknown) => unknown
}

/** Problems with a target's requirements, pointers relative to the requirement list. */
export function requirementProblems(requirements: AttributeRequirement[], catalog: FieldCatalog) {
  return requirements.flatMap((requirement, i) => {
    const type = fieldType(catalog, requirement.matches)
    if (type === undefined) return [{ pointer: `/${i}/matches`, detail: `"${requirement.matches}" is not a lead field` }]
    if (type === 'number' || type === 'boolean')
      return [{ pointer: `/${i}/matches`, detail: `"${requirement.matches}" is a ${type}; a requirement matches text` }]
    return []
  })
}

const compileRequirements = (requirements: AttributeRequirement[] | undefined): CompiledRequirement[] =>
  (requirements ?? []).map((r) => ({ attribute: r.attribute, matches: r.matches, read: fieldReader(r.matches) }))

/** What a target requires of its reps, compiled: only team targets have requirements. */
export const requirementsOf = (assign: Assign): CompiledRequirement[] =>
  compileRequirements(assign.type === 'team' ? assign.require : undefined)

/**
 * The check of one lead against a list of requirements: for a rep's attributes, why they
 * do not match (`languages do not include "de"`), or null when they do. The lead's values
 * are read and lower-cased once; each rep's once per check.
 */
export function requirementCheck(requirements: CompiledRequirement[], lead: unknown): (attributes: RepAttributes) => string | null {
  const wanted = requirements.map((r) => ({ ...r, values: textValues(r.read(lead)) }))
  return (attributes) => {
    for (const { attribute, matches, values } of wanted) {
      if (values.length === 0) return `the lead has no ${matches} to match ${attribute}`
      const held = new Set((attributes[attribute] ?? []).map((v) => v.trim().toLowerCase()))
      if (!values.some((v) => held.has(v))) return `${attribute} do not include ${values.map((v) => JSON.stringify(v)).join(' or ')}`
    }
    return null
  }
}

/** A field's value as lower-cased text: a string, or the strings of a list; nothing else counts. */
function textValues(value: unknown): string[] {
  const items = Array.isArray(value) ? value : [value]
  return [...new Set(items.flatMap((item) => (typeof item === 'string' && item.trim() !== '' ? [item.trim().toLowerCase()] : [])))]
}
