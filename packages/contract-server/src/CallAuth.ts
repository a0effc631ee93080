/**
 * Who is calling, and may they: the bearer token is verified (401) and the contract's policy
 * checked (403) before the body is read, so an anonymous caller learns nothing about an operation's
 * input schema.
 *
 * Policies (`Contract.AuthLevel`): `anonymous` needs nothing (a token, when sent, must still
 * verify); `user` needs a user's token; `admin` a user's token with the `admin` role; `service` a
 * service principal's token or an admin's. A service principal calls only `service` and
 * `anonymous` operations: it acts for a process, never as a person.
 */
import { type AnyContract, isService, type Principal } from "@tessera/contract-kit/Contract"
import { Forbidden, Unauthenticated } from "@tessera/contract-kit/ContractError"
import { Effect } from "effect"
import type { HttpServerRequest } from "effect/http"
import { Auth } from "./Auth.ts"

const BEARER = /^Bearer\s+(\S+)$/i

export const authenticate = (request: HttpServerRequest.HttpServerRequest, contract: AnyContract) =>
  Effect.gen(function* () {
    const header = request.headers.authorization
    if (header === undefined || header.trim() === "") {
      if (contract.policy.auth === "anonymous") return undefined
      return yield* new Unauthenticated({ detail: "A bearer token is required" })
    }
    const match = BEARER.exec(header.trim())
    if (match?.[1] === undefined) {
      return yield* new Unauthenticated({ detail: "The Authorization header must be 'Bearer <token>'" })
    }
    const auth = yield* Auth
    return yield* auth.verify(match[1]).pipe(
      Effect.mapError(
        (error) =>
          new Unauthenticated({
            detail: error.reason === "ERR_JWT_EXPIRED" ? "The bearer token has expired" : "The bearer token is invalid"
          })
      )
    )
  })

export const authorize = (contract: AnyContract, principal: Principal | undefined) =>
  Effect.gen(function* () {
    const { auth, roles } = contract.policy
    if (auth === "anonymous" && (roles === undefined || roles.length === 0)) return
    if (principal === undefined) return yield* new Unauthenticated({ detail: "A bearer token is required" })
    const admin = principal.roles.includes("admin") && !isService(principal)
    if (auth === "service") {
      if (!isService(principal) && !admin) {
        return yield* new Forbidden({ detail: `${contract.key} is called by services (or an admin), not by users` })
      }
    } else if (isService(principal) && auth !== "anonymous") {
      return yield* new Forbidden({ detail: `${contract.key} is not open to service principals` })
    }
    if (auth === "admin" && !admin) {
      return yield* new Forbidden({ detail: `${contract.key} requires the admin role` })
    }
    if (roles !== undefined && roles.length > 0 && !roles.some((role) => principal.roles.includes(role))) {
      return yield* new Forbidden({ detail: `${contract.key} requires one of the roles: ${roles.join(", ")}` })
    }
  })
