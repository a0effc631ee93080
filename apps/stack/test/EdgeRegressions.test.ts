/**
 * Issue #11's findings, each replayed as it was found against the running stack (they answered
 * 500, leaked schema details, awarded XP or hung): every one now gets the answer named here.
 */
import { assert, layer } from "@effect/vitest"
import * as AppTest from "@tessera/test-kit/AppTest"
import { Effect } from "effect"
import * as Stack from "../src/Stack.ts"
import * as Generated from "./support/Generated.ts"

const ORG = "org_regressions"
const admin = { userId: "reg-admin", organizationId: ORG, roles: ["admin"] }
const user = { userId: "reg-user", organizationId: ORG, roles: [] }
const relay = { userId: "reg-relay", organizationId: ORG, roles: [], kind: "service" as const }

const stages = [
  { name: "Lead", probability: 10 },
  { name: "Won", probability: 100, isWon: true },
  { name: "Lost", probability: 0, isLost: true }
]

layer(AppTest.layer(Stack.apps), { excludeTestServices: true })("issue #11, replayed", (it) => {
  it.effect("every finding answers 4xx problem+json (or what the policy says), never 500", () =>
    Effect.gen(function* () {
      const sender = Generated.makeSender(yield* Generated.serverPort)
      const bearer = (principal: { userId: string; organizationId: string; roles: ReadonlyArray<string> }) =>
        Effect.map(AppTest.auth.mint(principal), (token) => ({ authorization: `Bearer ${token}` }))
      const adminAuth = yield* bearer(admin)
      const userAuth = yield* bearer(user)
      const relayAuth = yield* bearer(relay)
      const post = (path: string, body: string, headers: Record<string, string>, kind = path) =>
        sender.send({
          operation: path,
          kind,
          method: "POST",
          path,
          headers: { "content-type": "application/json", ...headers },
          body
        })
      const expect = (response: Generated.RawResponse, status: number, code?: string) => {
        assert.strictEqual(response.status, status, `${response.request.kind}: ${response.body.slice(0, 300)}`)
        assert.isUndefined(Generated.problemDefect(response), response.request.kind)
        if (code !== undefined) assert.include(response.body, `"code":"${code}"`, response.request.kind)
      }

      const pipeline = JSON.parse(
        (yield* post("/crm/pipeline/create", JSON.stringify({ name: "Regressions", stages }), adminAuth)).body
      )
      const deal = (amountMinor: number, name = "Deal") =>
        post(
          "/crm/deal/create",
          JSON.stringify({ name, value: { amountMinor, currency: "EUR" }, pipelineId: pipeline.id }),
          userAuth
        )

      // 1. Input that passed the schema reached Postgres.
      expect(yield* post("/crm/deal/get", `{"dealId":"a\\u0000b"}`, userAuth, "NUL in an id"), 400, "INVALID_INPUT")
      expect(
        yield* post("/crm/company/create", `{"name":"\\ud800"}`, userAuth, "lone surrogate into the audit row"),
        400,
        "INVALID_INPUT"
      )
      expect(
        yield* post(
          "/crm/task/create",
          JSON.stringify({ title: "Call", type: "call", dueAt: "2026-02-30T25:61:00Z" }),
          userAuth,
          "impossible date"
        ),
        400,
        "INVALID_INPUT"
      )
      const version = yield* post(
        "/learning/onboarding/recordEvent",
        JSON.stringify({ learnerId: "reg-user", eventName: "pipeline.created", eventVersion: 2147483648 }),
        relayAuth,
        "eventVersion 2^31"
      )
      assert.isBelow(version.status, 500, version.body)
      assert.isUndefined(Generated.problemDefect(version))
      expect(
        yield* post(
          "/crm/deal/get",
          `{"dealId":${"[".repeat(5000)}${"]".repeat(5000)}}`,
          userAuth,
          "nested 5,000 levels"
        ),
        400,
        "INVALID_INPUT"
      )
      expect(
        yield* post(
          "/crm/deal/list",
          JSON.stringify({ cursor: Buffer.from(JSON.stringify(["not-a-time", "x"])).toString("base64") }),
          userAuth,
          "forged cursor"
        ),
        400,
        "INVALID_CURSOR"
      )
      const traced = yield* post(
        "/crm/deal/create",
        JSON.stringify({ name: "Traced", value: { amountMinor: 1, currency: "EUR" }, pipelineId: pipeline.id }),
        { ...userAuth, traceparent: "junk" },
        "traceparent junk on an emitting command"
      )
      assert.strictEqual(traced.status, 200, traced.body)
      for (const principal of [
        { userId: "u".repeat(65), organizationId: ORG, roles: [] },
        { userId: "u", organizationId: "o".repeat(201), roles: [] }
      ]) {
        expect(
          yield* post("/crm/deal/list", "{}", yield* bearer(principal), "over-long sub or org"),
          401,
          "UNAUTHENTICATED"
        )
      }

      // 2. Two legal deals no longer break the organization's list.
      assert.strictEqual((yield* deal(Number.MAX_SAFE_INTEGER, "Huge")).status, 200)
      assert.strictEqual((yield* deal(1, "One")).status, 200)
      const listed = yield* post("/crm/deal/list", "{}", userAuth, "list after two huge deals")
      assert.strictEqual(listed.status, 200, listed.body)

      // 3. A learner cannot award themselves onboarding progress.
      expect(
        yield* post(
          "/learning/onboarding/recordEvent",
          JSON.stringify({ learnerId: "reg-user", eventName: "deal.won", occurredAt: "1999-01-01T00:00:00.000Z" }),
          userAuth,
          "self-award"
        ),
        403,
        "FORBIDDEN"
      )

      // 4. Anonymous callers learn nothing of the schema.
      const anonymous = yield* post("/crm/deal/get", `{"dealId":5}`, {}, "anonymous decode")
      expect(anonymous, 401, "UNAUTHENTICATED")
      assert.notInclude(anonymous.body, "issues")

      // 5. Errors are problem+json; paths are exact.
      expect(
        yield* sender.send({ operation: "-", kind: "unknown path", method: "GET", path: "/nope", headers: {} }),
        404
      )
      const wrongMethod = yield* sender.send({
        operation: "-",
        kind: "wrong method",
        method: "GET",
        path: "/crm/deal/list",
        headers: userAuth
      })
      expect(wrongMethod, 405, "METHOD_NOT_ALLOWED")
      expect(
        yield* post(
          "/crm/deal/create",
          JSON.stringify({ name: "Keyed", value: { amountMinor: 1, currency: "EUR" }, pipelineId: pipeline.id }),
          { ...userAuth, "idempotency-key": "k".repeat(300) },
          "long Idempotency-Key"
        ),
        400,
        "INVALID_INPUT"
      )
      expect(
        yield* sender.send({
          operation: "-",
          kind: "no content type",
          method: "POST",
          path: "/crm/deal/list",
          headers: userAuth,
          body: "{}"
        }),
        415,
        "UNSUPPORTED_MEDIA_TYPE"
      )
      for (const path of ["/CRM/DEAL/LIST", "//crm/deal/list", "/crm/deal/list;jsessionid=1", "/crm/x/../deal/list"]) {
        expect(yield* post(path, "{}", userAuth, path), 404, "NOT_FOUND")
      }
      assert.notInclude(listed.body, '"_tag"')

      // 6. Idempotency-Key on every command: crm.deal.lose retried with its key is the stored answer.
      const toLose = JSON.parse((yield* deal(5, "To lose")).body)
      const lose = JSON.stringify({ dealId: toLose.id, reason: "price" })
      const first = yield* post("/crm/deal/lose", lose, { ...userAuth, "idempotency-key": "lose-1" }, "lose")
      const retry = yield* post("/crm/deal/lose", lose, { ...userAuth, "idempotency-key": "lose-1" }, "lose again")
      assert.strictEqual(first.status, 200, first.body)
      assert.strictEqual(retry.status, 200, retry.body)
      assert.deepStrictEqual(JSON.parse(retry.body), JSON.parse(first.body))
      expect(
        yield* post(
          "/crm/deal/lose",
          JSON.stringify({ dealId: toLose.id, reason: "timing" }),
          { ...userAuth, "idempotency-key": "lose-1" },
          "same key, other body"
        ),
        422,
        "IDEMPOTENCY_KEY_REUSED"
      )
      sender.close()
    })
  )
})
