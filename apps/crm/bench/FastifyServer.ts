/**
 * The peer a user would pick instead of Tessera: Fastify serving `crm.deal.create` and
 * `crm.deal.get` with the same JWT verification (`jose`, HS256, issuer `tessera`, `sub`/`org`
 * claims required — what `Auth.verify` checks), the same input validation (the contract's input
 * schema as JSON Schema, unknown properties refused, compiled by Fastify's Ajv) and the same SQL
 * as the baseline (`PlainSql.ts`). Run by `run.ts` in its own process.
 *
 *   DATABASE_URL=… PORT=… TESSERA_AUTH_SECRET=… node bench/FastifyServer.ts
 */
import { createSecretKey } from "node:crypto"
import { CreateDeal, GetDeal } from "@tessera/contracts/crm/Deals"
import { Schema } from "effect"
import Fastify, { type FastifyReply, type FastifyRequest } from "fastify"
import { jwtVerify } from "jose"
import { type CreateInput, createDeal, getDeal, pool } from "./PlainSql.ts"

const secret = createSecretKey(
  Buffer.from(process.env.TESSERA_AUTH_SECRET ?? "tessera-development-secret-do-not-use-in-production", "utf8")
)

/** The contract's input as JSON Schema, closed like Tessera's decoding (`onExcessProperty: "error"`). */
const bodySchema = (input: Schema.Top): Record<string, unknown> => {
  const close = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(close)
    if (node === null || typeof node !== "object") return node
    const entries = Object.entries(node).map(([key, value]) => [key, close(value)] as const)
    const closed = Object.fromEntries(entries)
    return "properties" in closed ? { ...closed, additionalProperties: false } : closed
  }
  const document = Schema.toJsonSchemaDocument(Schema.toCodecJson(input))
  return close(document.schema) as Record<string, unknown>
}

interface Caller {
  readonly userId: string
  readonly organizationId: string
}

const authenticate = async (request: FastifyRequest, reply: FastifyReply): Promise<Caller | undefined> => {
  const match = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? "")
  if (match?.[1] === undefined) {
    await reply.code(401).send({ code: "UNAUTHENTICATED" })
    return undefined
  }
  try {
    const { payload } = await jwtVerify(match[1], secret, {
      algorithms: ["HS256"],
      issuer: "tessera",
      requiredClaims: ["sub", "exp"]
    })
    if (typeof payload.sub !== "string" || typeof payload.org !== "string") throw new Error("claims")
    return { userId: payload.sub, organizationId: payload.org }
  } catch {
    await reply.code(401).send({ code: "UNAUTHENTICATED" })
    return undefined
  }
}

const app = Fastify({ logger: false })

app.post("/crm/deal/create", { schema: { body: bodySchema(CreateDeal.input) } }, async (request, reply) => {
  const caller = await authenticate(request, reply)
  if (caller === undefined) return reply
  return createDeal(caller.organizationId, caller.userId, request.body as CreateInput)
})

app.post("/crm/deal/get", { schema: { body: bodySchema(GetDeal.input) } }, async (request, reply) => {
  const caller = await authenticate(request, reply)
  if (caller === undefined) return reply
  const deal = await getDeal(caller.organizationId, (request.body as { dealId: string }).dealId)
  return deal === undefined ? reply.code(404).send({ code: "DEAL_NOT_FOUND" }) : deal
})

await app.listen({ port: Number(process.env.PORT ?? 3200), host: "127.0.0.1" })
process.stdout.write(`fastify listening on ${process.env.PORT}\n`)
process.on("SIGTERM", () => {
  void app.close().then(() => pool.end())
})
