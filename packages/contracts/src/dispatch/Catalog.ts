/**
 * The dispatcher's admin catalog (`dispatch.*`), served by the stack's operations app and called by
 * Studio and `tessera-dispatch`.
 */
import {
  ConsumerActivity,
  DiscardDeadLetters,
  GetDeadLetter,
  GetEvent,
  GetFlow,
  ListConsumers,
  ListDeadLetters,
  ListEvents,
  ReplayDeadLetters
} from "./Admin.ts"

export const catalog = [
  ListConsumers,
  ConsumerActivity,
  ListDeadLetters,
  GetDeadLetter,
  ReplayDeadLetters,
  DiscardDeadLetters,
  ListEvents,
  GetEvent,
  GetFlow
] as const

/** The dispatcher publishes no events of its own. */
export const events = [] as const
