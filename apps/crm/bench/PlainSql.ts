/**
 * The SQL the benchmark's peers run, with `pg`: the same statements as `crm.deal.create` (the deal
 * insert and an outbox row, in one transaction) and `crm.deal.get` (one select). Shared by the
 * plain `node:http` baseline (`BaselineServer.ts`) and the Fastify peer (`FastifyServer.ts`).
 */
import { randomUUID } from "node:crypto"
import pg from "pg"

export const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 })

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

export interface CreateInput {
  readonly name: string
  readonly value: { readonly amountMinor: number; readonly currency: string }
  readonly pipelineId: string
  readonly stageId?: string | undefined
}

export const createDeal = async (organizationId: string, userId: string, input: CreateInput): Promise<unknown> => {
  const client = await pool.connect()
  try {
    await client.query("BEGIN")
    const id = `deal_${randomUUID()}`
    const inserted = await client.query(INSERT_DEAL, [
      organizationId,
      id,
      input.name,
      input.value.amountMinor,
      input.value.currency,
      input.pipelineId,
      input.stageId,
      userId
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

/** The deal, or `undefined` when the organization has no deal with this id. */
export const getDeal = async (organizationId: string, dealId: string): Promise<unknown> => {
  const result = await pool.query(SELECT_DEAL, [organizationId, dealId])
  return result.rows[0]
}
