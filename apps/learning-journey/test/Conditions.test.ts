import { assert, describe, it } from "@effect/vitest"
import { TaskCompleted } from "@tessera/contracts/crm/Events"
import * as Conditions from "@tessera/contracts/learning-journey/Conditions"
import { Condition } from "@tessera/contracts/learning-journey/Conditions"
import { Schema } from "effect"
import fc from "fast-check"
import { hasRun, isSatisfied, type LearnerEvent, matches } from "../src/domain/Conditions.ts"

const HOUR = 3_600_000
const t0 = Date.parse("2025-01-20T09:00:00.000Z")

const event = (
  eventType: string,
  hoursAfter: number,
  payload: Record<string, unknown> = {},
  version = 1
): LearnerEvent => ({
  eventType,
  eventVersion: version,
  payload,
  occurredAt: new Date(t0 + hoursAfter * HOUR)
})

describe("Conditions (builder)", () => {
  it("builds the serialisable form from a definition, with a typed filter", () => {
    const condition = Conditions.event(TaskCompleted, { where: { type: "follow_up" } })
    assert.deepStrictEqual(condition, {
      kind: "event",
      event: { eventType: "task.completed", eventVersion: 1, where: { type: "follow_up" } }
    })
    assert.isTrue(Schema.is(Condition)(condition))
    // @ts-expect-error "lunch" is not a task type
    Conditions.event(TaskCompleted, { where: { type: "lunch" } })
    // @ts-expect-error no such payload field
    Conditions.event(TaskCompleted, { where: { colour: "red" } })
  })

  it("count and window carry their bounds", () => {
    assert.deepStrictEqual(Conditions.count(TaskCompleted, { atLeast: 3, withinHours: 24 }), {
      kind: "count",
      event: { eventType: "task.completed", eventVersion: 1 },
      atLeast: 3,
      withinHours: 24
    })
    assert.deepStrictEqual(Conditions.window(TaskCompleted, { toHours: 48 }), {
      kind: "window",
      event: { eventType: "task.completed", eventVersion: 1 },
      toHours: 48
    })
  })

  it("the serialisable form rejects an empty window", () => {
    const decode = Schema.decodeUnknownOption(Condition)
    assert.isTrue(
      decode({ kind: "window", event: { eventType: "deal.won", eventVersion: 1 }, fromHours: 5, toHours: 5 })._tag ===
        "None"
    )
  })
})

describe("Conditions.matches", () => {
  const matcher = { eventType: "task.completed", eventVersion: 1, where: { type: "follow_up" } }

  it("needs the type, the version or a later one, and every filtered field", () => {
    assert.isTrue(matches(matcher, event("task.completed", 0, { type: "follow_up", taskId: "t" })))
    assert.isFalse(matches(matcher, event("task.completed", 0, { type: "call" })))
    assert.isFalse(matches(matcher, event("task.completed", 0, {})))
    assert.isFalse(matches(matcher, event("task.created", 0, { type: "follow_up" })))
    // A later version (upcast from this one, keeping its fields) still matches; an earlier one does not.
    assert.isTrue(matches(matcher, event("task.completed", 0, { type: "follow_up" }, 2)))
    assert.isFalse(matches({ ...matcher, eventVersion: 2 }, event("task.completed", 0, { type: "follow_up" }, 1)))
  })

  it("an event of unknown version matches any version", () => {
    assert.isTrue(matches(matcher, { ...event("task.completed", 0, { type: "follow_up" }), eventVersion: undefined }))
  })

  it("a null filter needs the field present and null", () => {
    const nullContact = { eventType: "deal.created", eventVersion: 1, where: { contactId: null } }
    assert.isTrue(matches(nullContact, event("deal.created", 0, { contactId: null })))
    assert.isFalse(matches(nullContact, event("deal.created", 0, {})))
  })
})

describe("Conditions.isSatisfied", () => {
  const moved = { eventType: "deal.moved", eventVersion: 1 }

  it("event: one matching event", () => {
    const condition: Condition = { kind: "event", event: moved }
    assert.isFalse(isSatisfied(condition, [event("deal.created", 0)], undefined))
    assert.isTrue(isSatisfied(condition, [event("deal.moved", 0)], undefined))
  })

  it("count: at least N, optionally inside a span of H hours", () => {
    const three: Condition = { kind: "count", event: moved, atLeast: 3 }
    const threeIn24: Condition = { kind: "count", event: moved, atLeast: 3, withinHours: 24 }
    const spread = [event("deal.moved", 0), event("deal.moved", 20), event("deal.moved", 40)]
    assert.isFalse(isSatisfied(three, spread.slice(0, 2), undefined))
    assert.isTrue(isSatisfied(three, spread, undefined))
    assert.isFalse(isSatisfied(threeIn24, spread, undefined))
    assert.isTrue(isSatisfied(threeIn24, [...spread, event("deal.moved", 41)], undefined))
  })

  it("window: relative to the track's start", () => {
    const firstDay: Condition = { kind: "window", event: moved, toHours: 24 }
    const secondDay: Condition = { kind: "window", event: moved, fromHours: 24, toHours: 48 }
    const history = [event("deal.moved", 30)]
    const start = new Date(t0)
    assert.isFalse(isSatisfied(firstDay, history, start))
    assert.isTrue(isSatisfied(secondDay, history, start))
    assert.isFalse(isSatisfied(secondDay, history, undefined))
  })

  const hours = fc.array(fc.integer({ min: 0, max: 24 * 30 }), { maxLength: 30 })

  it("property: hasRun agrees with a brute-force search", () => {
    fc.assert(
      fc.property(hours, fc.integer({ min: 1, max: 6 }), fc.integer({ min: 0, max: 72 }), (hs, atLeast, span) => {
        const times = hs.map((h) => h * HOUR).sort((a, b) => a - b)
        const brute = times.some(
          (start) => times.filter((t) => t >= start && t <= start + span * HOUR).length >= atLeast
        )
        return hasRun(times, atLeast, span * HOUR) === brute
      })
    )
  })

  it("property: count conditions are monotone (more events never undo) and a span only restricts", () => {
    fc.assert(
      fc.property(
        hours,
        hours,
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 72 }),
        (a, b, atLeast, span) => {
          const before = a.map((h) => event("deal.moved", h))
          const after = [...before, ...b.map((h) => event("deal.moved", h))]
          const plain: Condition = { kind: "count", event: moved, atLeast }
          const spanned: Condition = { kind: "count", event: moved, atLeast, withinHours: span }
          for (const condition of [plain, spanned]) {
            if (isSatisfied(condition, before, undefined) && !isSatisfied(condition, after, undefined)) return false
          }
          return !isSatisfied(spanned, after, undefined) || isSatisfied(plain, after, undefined)
        }
      )
    )
  })

  it("property: satisfaction does not depend on the order of the history", () => {
    fc.assert(
      fc.property(hours, fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 48 }), (hs, atLeast, span) => {
        const history = hs.map((h) => event("deal.moved", h))
        const reversed = [...history].reverse()
        const condition: Condition = { kind: "count", event: moved, atLeast, withinHours: span }
        return isSatisfied(condition, history, undefined) === isSatisfied(condition, reversed, undefined)
      })
    )
  })
})
