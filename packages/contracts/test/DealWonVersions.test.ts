/**
 * `deal.won`'s version lifecycle, the registry's first: v2 is the active version the CRM emits,
 * v1 is deprecated with a cutover 14 days later (until then the outbox still takes it, from then
 * on it refuses it), and any stored v1 payload reads as a valid v2 one through `upcastFrom`.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Registry from "@tessera/envelope/Registry"
import { Effect, Result } from "effect"
import { WinDeal } from "../src/crm/Deals.ts"
import { DealWon, DealWonV2 } from "../src/crm/Events.ts"
import { registry } from "../src/registry.ts"

const v1Payload = {
  dealId: "deal_1",
  pipelineId: "pipe_1",
  stageId: "stage_won",
  value: { amountMinor: 500_000, currency: "EUR" },
  ownerId: "ada",
  wonSource: "referral",
  closedAt: "2026-11-20T09:00:00.000Z"
}

describe("deal.won versions", () => {
  it("v1 is deprecated on 2026-11-30 with its cutover on 2026-12-14; v2 is active with an upcaster from v1", () => {
    const entry = registry.events["deal.won"]
    const [v1, v2] = entry?.versions ?? []
    assert.strictEqual(v1?.definition, DealWon)
    assert.strictEqual(v1?.status, "deprecated")
    assert.strictEqual(v1?.deprecatedAt, "2026-11-30")
    assert.strictEqual(v1 === undefined ? undefined : Registry.cutoverDateOf(v1), "2026-12-14")
    assert.strictEqual(v2?.definition, DealWonV2)
    assert.strictEqual(v2?.status, "active")
    assert.strictEqual(v2?.upcastFrom?.from, DealWon)
    assert.deepStrictEqual(entry?.consumers, ["learning", "service"])
    assert.deepStrictEqual(DealWonV2.pii, ["contactName"])
  })

  it("crm.deal.win emits v2 only, and says so with its major version", () => {
    assert.deepStrictEqual(
      WinDeal.emits.map((declaration) => declaration.event),
      [DealWonV2]
    )
    assert.strictEqual(WinDeal.version, "2.0.0")
  })

  it("the outbox takes v1 until the cutover and refuses it from then on; v2 always", () => {
    assert.isTrue(Result.isSuccess(Registry.checkPublish(registry, DealWon, "crm", new Date("2026-12-13T23:59:59Z"))))
    const after = Registry.checkPublish(registry, DealWon, "crm", new Date("2026-12-14T00:00:00Z"))
    assert.isTrue(Result.isFailure(after))
    if (Result.isFailure(after)) assert.strictEqual(after.failure.reason, "PastCutover")
    assert.isTrue(Result.isSuccess(Registry.checkPublish(registry, DealWonV2, "crm", new Date("2027-06-01T00:00:00Z"))))
  })

  it.effect(
    "a stored v1 payload reaches a v2 consumer upcast: v1's fields kept, no contact or company, named after the deal",
    () =>
      Effect.gen(function* () {
        const upcast = yield* Registry.decodeAs(registry, DealWonV2, 1, v1Payload)
        assert.deepStrictEqual<unknown>(upcast, {
          ...v1Payload,
          name: "Deal deal_1",
          contactId: null,
          contactName: null,
          companyId: null,
          companyName: null
        })
      })
  )

  it.effect("a v2 event never reaches a consumer still on v1 (no down-casting): it is an unknown version", () =>
    Effect.gen(function* () {
      const failure = yield* Effect.flip(
        Registry.decodeAs(registry, DealWon, 2, {
          ...v1Payload,
          name: "x",
          contactId: null,
          contactName: null,
          companyId: null,
          companyName: null
        })
      )
      assert.strictEqual(failure.reason, "UnknownVersion")
    })
  )
})
