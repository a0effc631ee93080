/**
 * The benchmark's baseline: plain `node:http` + `pg`, doing the same SQL as `crm.deal.create` and
 * `crm.deal.get` (`PlainSql.ts`) — without contracts, validation libraries, auth or Effect. Run by
 * `run.ts` in its own process.
 *
 *   DATABASE_URL=… PORT=… node bench/BaselineServer.ts
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import { type CreateInput, createDeal, getDeal, pool } from "./PlainSql.ts"

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

const server = createServer((request, response) => {
  const organizationId = String(request.headers["x-organization"] ?? "bench-org")
  readJson(request)
    .then(async (input) => {
      if (request.url === "/crm/deal/create") {
        // Unvalidated on purpose: the baseline is the floor, not a peer.
        return send(response, 200, await createDeal(organizationId, "bench-user", input as unknown as CreateInput))
      }
      if (request.url === "/crm/deal/get") {
        const deal = await getDeal(organizationId, String(input.dealId))
        return deal === undefined ? send(response, 404, { code: "DEAL_NOT_FOUND" }) : send(response, 200, deal)
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
