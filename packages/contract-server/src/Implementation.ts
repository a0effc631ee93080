/**
 * `implement(contract, handler)`: the handler's type is derived from the contract — the decoded
 * input in, the output out, only the declared errors, and an `emit` that accepts only the
 * contract's declared event definitions (checked again at run time). The kit runs the handler
 * inside the call's transaction; see `ContractServer`.
 */

import type { AnyContract, AnyEvent, AuthLevel, PayloadOf, Principal } from "@tessera/contract-kit/Contract"
import type { Subject } from "@tessera/envelope/EventDefinition"
import { Context, type Effect } from "effect"

export type InputOf<C extends AnyContract> = C["input"]["Type"]
export type OutputOf<C extends AnyContract> = C["output"]["Type"]
export type ErrorOf<C extends AnyContract> = C["errors"][number]["Type"]
export type EventOf<C extends AnyContract> = C["emits"][number]["event"]
export type AuthOf<C extends AnyContract> = C["policy"]["auth"]

/** The caller: always present unless the contract is `anonymous`. */
export type ActorOf<C extends AnyContract> =
  AuthOf<C> extends "anonymous" ? Principal | undefined : AuthOf<C> extends AuthLevel ? Principal : never

export interface EmitOptions {
  /** Overrides the definition's `subject(payload)`. */
  readonly subject?: Subject | undefined
  readonly occurredAt?: Date | undefined
}

/** What a handler knows about its call besides the input. */
export interface HandlerContext<C extends AnyContract> {
  readonly contract: C
  readonly actor: ActorOf<C>
  readonly requestId: string
  readonly correlationId: string
  /**
   * Records an event to publish with this call: written in the call's transaction after the
   * handler succeeds, so it commits with the state change or not at all. Only the contract's
   * declared events type-check; an undeclared one is also refused at run time (a 500).
   */
  readonly emit: <D extends EventOf<C>>(event: D, payload: PayloadOf<D>, options?: EmitOptions) => Effect.Effect<void>
}

/**
 * The per-call facts as a service, for code below the handler (repositories scoping queries by
 * organization, for instance). Provided by the kit for every call.
 */
export class CallContext extends Context.Service<
  CallContext,
  {
    readonly contractKey: string
    readonly actor: Principal | undefined
    readonly requestId: string
    readonly correlationId: string
  }
>()("@tessera/contract-kit/CallContext") {}

export type Handler<C extends AnyContract, R> = (
  input: InputOf<C>,
  context: HandlerContext<C>
) => Effect.Effect<OutputOf<C>, ErrorOf<C>, R>

/** The context the kit builds for a call, before it is narrowed to one contract's types. */
export interface CallHandlerContext {
  readonly contract: AnyContract
  readonly actor: Principal | undefined
  readonly requestId: string
  readonly correlationId: string
  readonly emit: (event: AnyEvent, payload: unknown, options?: EmitOptions) => Effect.Effect<void>
}

export interface Implementation<out C extends AnyContract = AnyContract, out R = unknown> {
  readonly _tag: "Implementation"
  readonly contract: C
  /** Runs the handler on an input decoded by `contract.input`, with a context built for `contract`. */
  readonly run: (input: unknown, context: CallHandlerContext) => Effect.Effect<unknown, unknown, R>
}

/** The services an implementation needs, minus what the kit provides per call. */
export type RequirementsOf<I> = I extends Implementation<infer _C, infer R> ? Exclude<R, CallContext> : never

/** Types a handler from its contract and pairs them: the unit a `ContractServer` catalog lists. */
export const implement = <C extends AnyContract, R = never>(
  contract: C,
  handler: Handler<C, R>
): Implementation<C, R> => ({
  _tag: "Implementation",
  contract,
  // The kit calls `run` only with the input decoded by `contract.input` and a context whose
  // `emit` refuses events `contract` does not declare, which is what `Handler<C, R>` expects;
  // the compiler cannot relate the erased call shape to `C`, hence the casts, here only.
  run: (input, context) => handler(input as InputOf<C>, context as unknown as HandlerContext<C>)
})
