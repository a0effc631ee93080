/**
 * Every example of every CRM contract, run as written against the real app: the state the
 * example presumes is put in place (with the example's own ids), the example's input is sent over
 * HTTP, and the answer must equal the example's output — except for what the server generates
 * (new ids, timestamps of now), which must have the right form.
 *
 * This is how `crm.deal.lose`'s seed example works as written: `{ dealId: "deal-789", reason:
 * "competitor", note: "Went with cheaper option" }` answers the deal with status "lost" and
 * `closedAt` set.
 */
import { assert, layer } from "@effect/vitest"
import { catalog } from "@tessera/contracts/crm/Catalog"
import * as Examples from "@tessera/test-kit/Examples"
import { Effect } from "effect"
import { HttpClient, HttpClientRequest } from "effect/http"
import { SqlClient } from "effect/sql"
import { auth, CrmTestLayer } from "./support/CrmTestLayer.ts"

type World = "pipeline" | "pipelineWithProposal" | "deal" | "company" | "contact" | "task"

/** What each example presumes exists, by example key. */
const given: Record<string, ReadonlyArray<World>> = {
  "create-sales-pipeline": [],
  "list-one-pipeline": ["pipeline"],
  "create-renewal": ["pipeline"],
  "get-renewal": ["pipeline", "deal"],
  "move-to-proposal": ["pipelineWithProposal", "deal"],
  "mark-won": ["pipeline", "deal"],
  "mark-lost": ["pipeline", "deal"],
  "list-open-deals": ["pipeline", "deal"],
  "create-acme": [],
  "search-acme": ["company"],
  "create-ada": ["company"],
  "contacts-of-acme": ["company", "contact"],
  "follow-up-proposal": ["pipeline", "deal"],
  "complete-follow-up": ["pipeline", "deal", "task"],
  "open-tasks-of-renewal": ["pipeline", "deal", "task"]
}

const CREATED = "2025-01-20T09:00:00.000Z"

const build = (organizationId: string, parts: ReadonlyArray<World>) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const has = (part: World) => parts.includes(part)
    if (has("pipeline") || has("pipelineWithProposal")) {
      yield* sql`INSERT INTO crm.pipelines (organization_id, id, name, created_by, created_at)
                 VALUES (${organizationId}, 'pipe_1', 'Sales', 'user-1', ${CREATED})`
      yield* sql`INSERT INTO crm.stages (organization_id, id, pipeline_id, name, position, probability)
                 VALUES (${organizationId}, 'stage_1', 'pipe_1', 'Lead', 0, 10)`
    }
    if (has("pipelineWithProposal")) {
      yield* sql`INSERT INTO crm.stages (organization_id, id, pipeline_id, name, position, probability)
                 VALUES (${organizationId}, 'stage_2', 'pipe_1', 'Proposal', 1, 50)`
    }
    if (has("deal")) {
      yield* sql`INSERT INTO crm.deals (organization_id, id, name, value_minor, currency, pipeline_id, stage_id, status,
                   owner_id, expected_close_date, position, created_at, updated_at)
                 VALUES (${organizationId}, 'deal-789', 'Acme renewal', 1250000, 'EUR', 'pipe_1', 'stage_1', 'open',
                   'user-1', '2025-03-31', 0, ${CREATED}, ${CREATED})`
    }
    if (has("company")) {
      yield* sql`INSERT INTO crm.companies (organization_id, id, name, domain, created_by, created_at)
                 VALUES (${organizationId}, 'company_1', 'Acme', 'acme.example', 'user-1', ${CREATED})`
    }
    if (has("contact")) {
      yield* sql`INSERT INTO crm.contacts (organization_id, id, first_name, last_name, email, company_id, owner_id, created_at)
                 VALUES (${organizationId}, 'contact_1', 'Ada', 'Lovelace', 'ada@acme.example', 'company_1', 'user-1', ${CREATED})`
    }
    if (has("task")) {
      yield* sql`INSERT INTO crm.tasks (organization_id, id, type, title, due_at, assignee_id, status, deal_id, created_at)
                 VALUES (${organizationId}, 'task_1', 'follow_up', 'Send the proposal', '2025-01-22T09:00:00.000Z',
                   'user-1', 'open', 'deal-789', ${CREATED})`
    }
  })

const normalize = Examples.normalizer({
  ids: Examples.generatedId(["pipe", "stage", "deal", "contact", "company", "task"])
})

const examples = Examples.examplesOf(catalog)

layer(CrmTestLayer, { excludeTestServices: true })("every CRM example, as written", (it) => {
  it("covers every contract with at least one example and one scenario", () => {
    for (const contract of catalog) {
      assert.isAbove(contract.acceptance.examples.length, 0, `${contract.key} has no example`)
      assert.isAbove(contract.acceptance.scenarios.length, 0, `${contract.key} has no scenario`)
      for (const example of contract.acceptance.examples) {
        assert.isDefined(given[example.key], `${contract.key}: example ${example.key} has no given state here`)
      }
    }
  })

  examples.forEach(({ contract, example }, index) => {
    it.effect(`${contract.key}: ${example.key}`, () =>
      Effect.gen(function* () {
        const organizationId = `org_example_${index}`
        yield* build(organizationId, given[example.key] ?? [])
        const token = yield* auth.mint({ userId: "user-1", organizationId, roles: ["admin"] })
        const http = yield* HttpClient.HttpClient
        const response = yield* http.execute(
          HttpClientRequest.post(contract.http.path).pipe(
            HttpClientRequest.bodyJsonUnsafe(example.input),
            HttpClientRequest.bearerToken(token)
          )
        )
        const body = yield* response.json
        assert.strictEqual(response.status, 200, JSON.stringify(body))
        assert.deepStrictEqual(normalize(body, example.output), example.output)
      })
    )
  })
})
