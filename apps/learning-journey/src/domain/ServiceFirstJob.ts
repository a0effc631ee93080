/**
 * The built-in "Service first job" track: a service business's first paid job, from a new client
 * to the payment that settles its invoice. Written with the typed condition builder over the
 * service business's event definitions, like the CRM first win.
 */
import * as Conditions from "@tessera/contracts/learning-journey/Conditions"
import { TrackId } from "@tessera/contracts/learning-journey/Shared"
import type { TrackDefinition } from "@tessera/contracts/learning-journey/Tracks"
import {
  ClientCreated,
  InvoiceIssued,
  InvoicePaid,
  JobCompleted,
  JobScheduled
} from "@tessera/contracts/service-business/Events"

/** Its id is the same in every organization. */
export const SERVICE_FIRST_JOB_ID: TrackId = TrackId.make("service-first-job")

export const ServiceFirstJob: TrackDefinition = {
  product: "service",
  name: "Service first job",
  description: "Add a client, schedule a job, complete it, invoice it and get paid.",
  steps: [
    {
      id: "create-client",
      title: "Add a client",
      instructions: "Add the client you will work for.",
      condition: Conditions.event(ClientCreated),
      xp: 50,
      prerequisites: [],
      required: true
    },
    {
      id: "schedule-job",
      title: "Schedule a job",
      instructions: "Schedule a job for your client.",
      condition: Conditions.event(JobScheduled),
      xp: 50,
      prerequisites: ["create-client"],
      required: true
    },
    {
      id: "complete-job",
      title: "Complete the job",
      instructions: "Mark the job as completed, with notes on the work done.",
      condition: Conditions.event(JobCompleted),
      xp: 100,
      prerequisites: ["schedule-job"],
      required: true
    },
    {
      id: "issue-invoice",
      title: "Invoice the job",
      instructions: "Issue an invoice for the completed job.",
      condition: Conditions.event(InvoiceIssued),
      xp: 100,
      prerequisites: ["complete-job"],
      required: true
    },
    {
      id: "get-paid",
      title: "Get paid",
      instructions: "Record the payment that settles the invoice.",
      condition: Conditions.event(InvoicePaid),
      xp: 150,
      prerequisites: ["issue-invoice"],
      required: true
    }
  ],
  completion: { xpBonus: 200, badge: "service-first-job" },
  streak: null
}
