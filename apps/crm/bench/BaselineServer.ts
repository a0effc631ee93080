/**
 * The benchmark's baseline: plain `node:http` + `pg`, doing the same SQL as `crm.deal.create`
 * (the deal insert and an outbox row, in one transaction) and `crm.deal.get` (one select) —
 * without contracts, validation libraries, auth or Effect. Run by `run.ts` in its own process.
 *
 *   DATABASE_URL=… PORT=… node bench/BaselineServer.ts
 */
import { randomUUID } from "node:crypto"
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import pg from "pg"

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 })

const COLUMNS = `
  d.id, d.name, json_build_object('amountMinor', d.value_minor, 'currency', d.currency) AS value,
  d.pipeline_id AS "pipelineId", d.stage_id AS "stageId", d.status, d.owner_id AS "ownerId",
  d.contact_id AS "contactId", d.company_id AS "companyId",
  to_char(d.expected_close_date, 'YYYY-MM-DD') AS "expectedCloseDate",
  crm.iso(d.closed_at) AS "closedAt", d.lost_reason AS "lostReason", d.lost_note AS "lostNote",
  d.won_source AS "wonSource", d.position, crm.iso(d.created_at) AS "createdAt", crm.iso(d.updated_at) AS "updatedAt"`

const INSERT_DEAL = `
  WITH d AS (
    INSERT INTO crm.deals (organization_id, id, name, value_minor, currency, pipeline_id, stage_id, status,
      owner_id, contact_id, company_id, expected_close_date, position, created_at, updated_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, 'open', $8, NULL, NULL, NULL,
      (SELECT coalesce(max(position) + 1, 0) FROM crm.deals WHERE organization_id = $1 AND stage_id = $7), now(), now())
    RETURNING *)
  SELECT ${COLUMNS} FROM d`

const INSERT_OUTBOX = `
  INSERT INTO public.baseline_outbox (event_id, event_type, organization_id, subject_id, payload)
  VALUES ($1, 'deal.created', $2, $3, $4)`

const SELECT_DEAL = `SELECT ${COLUMNS} FROM crm.deals d WHERE d.organization_id = $1 AND d.id = $2`

const readJson = (request: IncomingMessage) =>
  new Promise<Record<string, unknown>>((resolve, reject) => {
    let body = ""
    request.setEncoding("utf8")
    request.on("data", (chunk: string) => {
      body += chunk
    })
    request.on("end", () => {
      try {
        resolve(JSON.parse(body))
      } catch (error) {
        reject(error)
      }
    })
    request.on("error", reject)
  })

const send = (response: ServerResponse, status: number, body: unknown) => {
  const json = JSON.stringify(body)
  response.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(json) })
  response.end(json)
}

const createDeal = async (organizationId: string, input: Record<string, unknown>) => {
  const value = input.value as { amountMinor: number; currency: string }
  const client = await pool.connect()
  try {
    await client.query("BEGIN")
    const id = `deal_${randomUUID()}`
    const inserted = await client.query(INSERT_DEAL, [
      organizationId,
      id,
      input.name,
      value.amountMinor,
      value.currency,
      input.pipelineId,
      input.stageId,
      "bench-user"
    ])
    await client.query(INSERT_OUTBOX, [randomUUID(), organizationId, id, JSON.stringify(inserted.rows[0])])
    await client.query("COMMIT")
    return inserted.rows[0]
  } catch (error) {
    await client.query("ROLLBACK")
    throw error
  } finally {
    client.release()
  }
}

const server = createServer((request, response) => {
  const organizationId = String(request.headers["x-organization"] ?? "bench-org")
  readJson(request)
    .then(async (input) => {
      if (request.url === "/crm/deal/create") return send(response, 200, await createDeal(organizationId, input))
      if (request.url === "/crm/deal/get") {
        const result = await pool.query(SELECT_DEAL, [organizationId, input.dealId])
        return result.rows.length === 0
          ? send(response, 404, { code: "DEAL_NOT_FOUND" })
          : send(response, 200, result.rows[0])
      }
      return send(response, 404, { code: "NOT_FOUND" })
    })
    .catch((error: unknown) => send(response, 500, { error: String(error) }))
})

server.listen(Number(process.env.PORT ?? 3100), "127.0.0.1", () => {
  process.stdout.write(`baseline listening on ${process.env.PORT}\n`)
})
process.on("SIGTERM", () => {
  server.close()
  void pool.end()
})
