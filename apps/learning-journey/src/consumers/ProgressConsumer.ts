/**
 * `learning.progress`: the learning journey's consumer of the CRM's events. Each delivered event
 * advances the acting user's progress (see `CrmEventIntake`), inside the delivery's transaction
 * with the dispatcher's inbox row, so a redelivered event changes nothing.
 */

import {
  ContactCreated,
  DealCreated,
  DealMoved,
  DealWon,
  PipelineCreated,
  TaskCompleted
} from "@tessera/contracts/crm/Events"
import * as Consumer from "@tessera/dispatcher/Consumer"
import { handle } from "../CrmEventIntake.ts"

export const ProgressConsumer = Consumer.make({
  name: "learning.progress",
  domain: "learning",
  handlers: [
    Consumer.on(PipelineCreated, (event) => handle(PipelineCreated, event)),
    Consumer.on(ContactCreated, (event) => handle(ContactCreated, event)),
    Consumer.on(DealCreated, (event) => handle(DealCreated, event)),
    Consumer.on(DealMoved, (event) => handle(DealMoved, event)),
    Consumer.on(DealWon, (event) => handle(DealWon, event)),
    Consumer.on(TaskCompleted, (event) => handle(TaskCompleted, event))
  ]
})
