/**
 * Every example of every learning-journey contract, run as written against the real app over
 * HTTP: the state the example presumes is put in place (with its own ids and times), its input is
 * sent, and the answer must equal its output — except what the server generates (new ids, times
 * of now), which must have the right form.
 */
import { assert, layer } from "@effect/vitest"
import type { AnyContract, Principal } from "@tessera/contract-kit/Contract"
import { catalog } from "@tessera/contracts/learning-journey/Catalog"
import { Track } from "@tessera/contracts/learning-journey/Tracks"
import { Effect, Schema } from "effect"
import { HttpClient, HttpClientRequest } from "effect/http"
import * as LearningApp from "../src/LearningApp.ts"
import { TrackRepository } from "../src/repositories/TrackRepository.ts"
import { installBuiltInTracks } from "../src/seed.ts"
import { Progression } from "../src/services/Progression.ts"
import { auth, LearningTestLayer } from "./support/LearningTestLayer.ts"

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/

/** `user_1`, the learner of the examples, in an organization of the example's own. */
const learner = (organizationId: string): Principal => ({ userId: "user_1", organizationId, roles: [] })
const admin = (organizationId: string): Principal => ({ userId: "admin_1", organizationId, roles: ["admin"] })
/** A service principal relaying product events (what `learning.onboarding.recordEvent` requires). */
const relay = (organizationId: string): Principal => ({
  userId: "crm-relay",
  organizationId,
  roles: [],
  kind: "service"
})

/** A CRM event of `user_1` at `time` on 2025-01-20, recorded the way the consumer records it. */
const crmEvent = (organizationId: string, eventType: string, time: string, payload: Record<string, unknown> = {}) =>
  Effect.flatMap(Progression, (progression) =>
    progression.record(organizationId, "user_1", {
      eventId: `${organizationId}:${eventType}:${time}`,
      eventType,
      eventVersion: 1,
      payload,
      occurredAt: new Date(`2025-01-20T${time}:00.000Z`)
    })
  )

/** What each example presumes, and who sends it. */
const worlds: Record<
  string,
  (organizationId: string) => Effect.Effect<Principal, unknown, Progression | TrackRepository>
> = {
  "create-sales-basics": (org) => Effect.succeed(admin(org)),
  "list-crm-tracks": (org) =>
    Effect.gen(function* () {
      const listed = yield* Schema.decodeUnknownEffect(Schema.Struct({ items: Schema.Array(Track) }))(
        exampleOf("learning.track.list", "list-crm-tracks")?.output
      )
      const [item] = listed.items
      if (item === undefined) return yield* Effect.die("the example lists a track")
      const { id, createdAt, ...definition } = item
      yield* Effect.flatMap(TrackRepository, (tracks) =>
        tracks.insert({ organizationId: org, id, definition, createdBy: "admin_1", createdAt: new Date(createdAt) })
      )
      return learner(org)
    }),
  "progress-after-first-step": (org) =>
    Effect.gen(function* () {
      yield* installBuiltInTracks(org)
      yield* crmEvent(org, "pipeline.created", "09:00")
      return learner(org)
    }),
  // Recorded by a service principal (the policy of learning.onboarding.recordEvent), for user_1.
  "record-follow-up-completed": (org) => Effect.as(installBuiltInTracks(org), relay(org)),
  "skip-follow-up": (org) =>
    Effect.gen(function* () {
      yield* installBuiltInTracks(org)
      yield* crmEvent(org, "pipeline.created", "09:00")
      yield* crmEvent(org, "contact.created", "09:10")
      yield* crmEvent(org, "deal.created", "09:20")
      for (const time of ["09:30", "09:40", "09:50"]) yield* crmEvent(org, "deal.moved", time)
      yield* crmEvent(org, "deal.won", "10:00")
      return learner(org)
    })
}

/** Fields the server generates, per example: checked for form, then taken from the example. */
const generated: Record<string, (answer: unknown, example: unknown) => unknown> = {
  "create-sales-basics": (answer, example) => {
    const { id, createdAt, ...rest } = Schema.decodeUnknownSync(Track)(answer)
    assert.match(id, /^track_[0-9a-f-]{36}$/)
    assert.match(createdAt, ISO)
    const expected = Schema.decodeUnknownSync(Track)(example)
    return { ...rest, id: expected.id, createdAt: expected.createdAt }
  },
  "skip-follow-up": (answer, example) => {
    // The skip happens now: its time is the server's, not the example's 11:00.
    const now = Date.now()
    const fields = Schema.decodeUnknownSync(
      Schema.Struct({
        lastActivityAt: Schema.String,
        completedAt: Schema.String,
        steps: Schema.Array(
          Schema.Struct({ stepId: Schema.String, status: Schema.String, doneAt: Schema.NullOr(Schema.String) })
        )
      })
    )
    const actual = fields(answer)
    const expected = fields(example)
    for (const time of [actual.lastActivityAt, actual.completedAt, actual.steps.at(-1)?.doneAt ?? ""]) {
      assert.match(time, ISO)
      assert.isTrue(Math.abs(Date.parse(time) - now) < 60_000, `${time} is the time of the skip`)
    }
    return {
      ...(typeof answer === "object" && answer !== null ? answer : {}),
      lastActivityAt: expected.lastActivityAt,
      completedAt: expected.completedAt,
      steps: actual.steps.map((step, i) =>
        i === actual.steps.length - 1 ? { ...step, doneAt: expected.steps.at(-1)?.doneAt ?? null } : step
      )
    }
  }
}

const examples = catalog.flatMap((contract: AnyContract) =>
  contract.acceptance.examples.map((example) => ({ contract, example }))
)

const exampleOf = (contractKey: string, key: string) =>
  examples.find((entry) => entry.contract.key === contractKey && entry.example.key === key)?.example

layer(LearningTestLayer, { excludeTestServices: true })("learning-journey examples, as written", (it) => {
  it("every example has a world", () => {
    assert.deepStrictEqual(examples.map(({ example }) => example.key).sort(), Object.keys(worlds).sort())
  })

  for (const { contract, example } of examples) {
    it.effect(`${contract.key}: ${example.key}`, () =>
      Effect.gen(function* () {
        const organizationId = `org_example_${example.key}`
        const world = worlds[example.key]
        if (world === undefined) return assert.fail(`no world for ${example.key}`)
        const principal = yield* world(organizationId).pipe(Effect.provide(LearningApp.services))
        const http = yield* HttpClient.HttpClient
        const response = yield* http.execute(
          HttpClientRequest.post(contract.http.path).pipe(
            HttpClientRequest.bodyJsonUnsafe(example.input),
            HttpClientRequest.bearerToken(yield* auth.mint(principal))
          )
        )
        const answer = yield* response.json
        assert.strictEqual(response.status, 200, JSON.stringify(answer))
        const normalise = generated[example.key]
        assert.deepStrictEqual(normalise === undefined ? answer : normalise(answer, example.output), example.output)
      })
    )
  }
})
