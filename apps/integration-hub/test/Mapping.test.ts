/**
 * The mapping module alone: every rule kind, every transform, validation of templates, and
 * properties (checksums ignore key order, a template of one field equals a direct mapping of it,
 * lookups answer their table, mapping is deterministic).
 */
import { assert, describe, it } from "@effect/vitest"
import type { MappingRule } from "@tessera/contracts/integration-hub/FieldMappings"
import { Result } from "effect"
import fc from "fast-check"
import { applyRule, checksum, externalIdOf, mapRecord, parseTemplate, validateRule } from "../src/domain/Mapping.ts"

const record = {
  id: 7,
  firstName: "  Ada ",
  lastName: "Lovelace",
  email: "ADA@Example.COM",
  age: "36",
  active: "Yes",
  born: "1815-12-10T08:00:00Z",
  tags: "math;poetry",
  country: "GB",
  address: { city: "London" }
}

const apply = (rule: MappingRule) => applyRule(rule, record)
const ok = (rule: MappingRule) => {
  const result = apply(rule)
  assert.isTrue(Result.isSuccess(result), Result.isFailure(result) ? result.failure : "")
  return Result.isSuccess(result) ? result.success : undefined
}

describe("field mappings", () => {
  it("direct, with every transform", () => {
    assert.strictEqual(ok({ type: "direct", sourceField: "lastName" }), "Lovelace")
    assert.strictEqual(ok({ type: "direct", sourceField: "firstName", transforms: [{ op: "trim" }] }), "Ada")
    assert.strictEqual(ok({ type: "direct", sourceField: "email", transforms: [{ op: "lower" }] }), "ada@example.com")
    assert.strictEqual(ok({ type: "direct", sourceField: "lastName", transforms: [{ op: "upper" }] }), "LOVELACE")
    assert.strictEqual(ok({ type: "direct", sourceField: "age", transforms: [{ op: "number" }] }), 36)
    assert.strictEqual(ok({ type: "direct", sourceField: "active", transforms: [{ op: "boolean" }] }), true)
    assert.strictEqual(
      ok({ type: "direct", sourceField: "born", transforms: [{ op: "date", format: "YYYY-MM-DD" }] }),
      "1815-12-10"
    )
    assert.strictEqual(
      ok({ type: "direct", sourceField: "born", transforms: [{ op: "date", format: "iso" }] }),
      "1815-12-10T08:00:00.000Z"
    )
    assert.strictEqual(
      ok({ type: "direct", sourceField: "tags", transforms: [{ op: "split", separator: ";", index: 1 }] }),
      "poetry"
    )
    assert.strictEqual(
      ok({
        type: "direct",
        sourceField: "firstName",
        transforms: [{ op: "trim" }, { op: "concat", fields: ["lastName"], separator: " " }]
      }),
      "Ada Lovelace"
    )
    assert.strictEqual(
      ok({ type: "direct", sourceField: "missing", transforms: [{ op: "default", value: "n/a" }] }),
      "n/a"
    )
    assert.strictEqual(ok({ type: "direct", sourceField: "address.city" }), "London")
    assert.strictEqual(ok({ type: "direct", sourceField: "address" }), '{"city":"London"}')
  })

  it("constant, template and lookup", () => {
    assert.strictEqual(ok({ type: "constant", value: "import" }), "import")
    assert.strictEqual(ok({ type: "template", template: "{lastName}, {firstName}!" }), "Lovelace,   Ada !")
    assert.strictEqual(ok({ type: "template", template: "{{literal}} {country}" }), "{literal} GB")
    assert.strictEqual(
      ok({ type: "lookup", sourceField: "country", table: { GB: "United Kingdom" } }),
      "United Kingdom"
    )
    assert.strictEqual(ok({ type: "lookup", sourceField: "country", table: { FR: "France" }, fallback: null }), null)
  })

  it("a value a transform cannot take fails the record with the reason", () => {
    const result = applyRule({ type: "direct", sourceField: "lastName", transforms: [{ op: "number" }] }, record)
    assert.deepStrictEqual(result, Result.fail('number: "Lovelace" is not a number'))
    const unknownKey = applyRule({ type: "lookup", sourceField: "country", table: { FR: "France" } }, record)
    assert.isTrue(Result.isFailure(unknownKey))
    const mapped = mapRecord(
      [{ targetField: "age", rule: { type: "direct", sourceField: "born", transforms: [{ op: "number" }] } }],
      record
    )
    assert.isTrue(Result.isFailure(mapped) && mapped.failure.startsWith("age: number:"))
  })

  it("validation finds malformed templates, empty tables and token-less date formats", () => {
    assert.strictEqual(validateRule({ type: "template", template: "{firstName} {lastName}" }), undefined)
    assert.include(validateRule({ type: "template", template: "{firstName" }) ?? "", "unclosed")
    assert.include(validateRule({ type: "template", template: "a } b {x}" }) ?? "", "unmatched")
    assert.include(validateRule({ type: "template", template: "no fields" }) ?? "", "at least one")
    assert.include(validateRule({ type: "template", template: "{first name}" }) ?? "", "not a field name")
    assert.include(validateRule({ type: "lookup", sourceField: "x", table: {} }) ?? "", "empty")
    assert.include(
      validateRule({ type: "direct", sourceField: "x", transforms: [{ op: "date", format: "day" }] }) ?? "",
      "no token"
    )
  })

  it("records without mappings are copied; NUL characters fail the record", () => {
    assert.deepStrictEqual(
      mapRecord([], { id: 1, name: "x", nested: [1] }),
      Result.succeed({ id: 1, name: "x", nested: "[1]" })
    )
    assert.isTrue(Result.isFailure(mapRecord([], { name: "a\u0000b" })))
    assert.strictEqual(externalIdOf({ id: 12 }, "id"), "12")
    assert.strictEqual(externalIdOf({ id: "" }, "id"), undefined)
  })

  it("property: the checksum ignores key order and sees every value change", () => {
    const scalar = fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null))
    fc.assert(
      fc.property(fc.dictionary(fc.string({ minLength: 1 }), scalar, { minKeys: 1 }), (fields) => {
        const reversed = Object.fromEntries(Object.entries(fields).reverse())
        assert.strictEqual(checksum(fields), checksum(reversed))
        const [key] = Object.keys(fields)
        if (key === undefined) return
        const changed = { ...fields, [key]: fields[key] === "changed" ? "other" : "changed" }
        assert.notStrictEqual(checksum(fields), checksum(changed))
      })
    )
  })

  it("property: a one-field template equals the direct mapping of that field, as text", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.integer(), fc.boolean()), (value) => {
        const source = { field: value }
        const template = applyRule({ type: "template", template: "{field}" }, source)
        const direct = applyRule({ type: "direct", sourceField: "field" }, source)
        assert.deepStrictEqual(
          template,
          Result.map(direct, (v) => (v === null ? "" : String(v)))
        )
      })
    )
  })

  it("property: templates parse back to the fields they name; literal braces survive", () => {
    const field = fc.stringMatching(/^[a-z][a-zA-Z0-9_]{0,8}$/)
    const literal = fc.string().map((s) => s.replaceAll("{", "{{").replaceAll("}", "}}"))
    fc.assert(
      fc.property(fc.array(fc.tuple(literal, field), { minLength: 1, maxLength: 5 }), (parts) => {
        const template = parts.map(([text, name]) => `${text}{${name}}`).join("")
        const parsed = parseTemplate(template)
        assert.isTrue(Result.isSuccess(parsed))
        if (Result.isSuccess(parsed)) {
          assert.deepStrictEqual(
            parsed.success.flatMap((part) => ("field" in part ? [part.field] : [])),
            parts.map(([, name]) => name)
          )
        }
      })
    )
  })

  it("property: mapping is deterministic and lookups answer their table", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ minLength: 1, maxLength: 5 }), fc.string(), { minKeys: 1 }), (table) => {
        for (const [key, value] of Object.entries(table)) {
          const rule: MappingRule = { type: "lookup", sourceField: "k", table }
          assert.deepStrictEqual(applyRule(rule, { k: key }), Result.succeed(value))
          assert.deepStrictEqual(
            mapRecord([{ targetField: "v", rule }], { k: key }),
            mapRecord([{ targetField: "v", rule }], { k: key })
          )
        }
      })
    )
  })
})
