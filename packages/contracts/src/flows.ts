/**
 * Tessera's flows across domains (see `Flow.ts`). Add one here with its steps, write the test that
 * names it (`flow <key>: …`, on `@tessera/test-kit/StackTest`, in apps/stack/test), and run
 * `pnpm --filter @tessera/contracts generate` to render it in docs/flows.md.
 */
import * as Flow from "./Flow.ts"

const firstWinSteps: ReadonlyArray<Flow.Step> = [
  { call: "crm.pipeline.create" },
  { event: "pipeline.created", handledBy: "learning", note: "step 1 of the track" },
  { call: "crm.contact.create" },
  { event: "contact.created", handledBy: "learning" },
  { call: "crm.deal.create" },
  { event: "deal.created", handledBy: "learning" },
  { call: "crm.deal.move", note: "three times" },
  { event: "deal.moved", handledBy: "learning" },
  { call: "crm.deal.win" },
  { event: "deal.won", handledBy: "learning" },
  { call: "crm.task.create" },
  { call: "crm.task.complete", note: "a follow-up task" },
  { event: "task.completed", handledBy: "learning", note: "the track completes: onboarding.completed" },
  { call: "learning.onboarding.getProgress" }
]

export const flows: ReadonlyArray<Flow.Flow> = [
  Flow.make({
    key: "crm.first-win",
    title: "The CRM first win",
    domains: ["crm", "learning"],
    given: ["An organization with the learning journey's built-in tracks", "A user who has done nothing yet"],
    when: [
      "The user creates a pipeline, a contact and a deal, moves the deal through three stages, wins it and completes a follow-up task"
    ],
    then: [
      "The user's crm-first-win track is completed with 700 XP and the crm-first-win badge",
      "Another user of the organization has no progress",
      "Handing every event to the learning journey again changes nothing"
    ],
    steps: firstWinSteps
  }),
  Flow.make({
    key: "crm.first-win-catch-up",
    title: "The CRM keeps working while the learning journey is down",
    domains: ["crm", "learning"],
    given: ["A user three steps into the crm-first-win track", "The learning journey's consumer is down"],
    when: ["The user moves the deal three times, wins it and completes a follow-up task"],
    then: [
      "Every CRM call succeeds; the five events wait for the learning journey",
      "When it is back, it catches up: the track is completed with 700 XP"
    ],
    steps: firstWinSteps.slice(6)
  }),
  Flow.make({
    key: "crm.activity-streak",
    title: "CRM work on consecutive days is a learning streak",
    domains: ["crm", "learning"],
    given: ["A user working on the crm-first-win track"],
    when: ["The user works in the CRM on three consecutive days, then again after a day without"],
    then: [
      "After the third day the streak is 3",
      "After the gap the current streak starts over at 1; the longest stays 3"
    ],
    steps: [
      { call: "crm.deal.create", note: "day 1" },
      { event: "deal.created", handledBy: "learning" },
      { call: "crm.deal.move", note: "day 2, then day 3" },
      { event: "deal.moved", handledBy: "learning", note: "the streak grows by calendar day (UTC) of the event" },
      { call: "crm.deal.move", note: "day 5" },
      { event: "deal.moved", handledBy: "learning", note: "a new run of 1" }
    ]
  }),
  Flow.make({
    key: "crm.won-deal-to-quote",
    title: "A won CRM deal becomes a client and a draft quote in the service business",
    domains: ["crm", "service", "learning"],
    given: ["An organization with the learning journey's built-in tracks", "A CRM company with a contact"],
    when: ["A user opens a deal for the company and its contact, and wins it"],
    then: [
      "The service business has a client for the company (its CRM company and contact ids kept)",
      "It has a draft quote for the deal's value, drafted from that deal — one, however often deal.won arrives",
      "The learning journey, consuming deal.won v2, still records the win for the user"
    ],
    steps: [
      { call: "crm.company.create" },
      { call: "crm.contact.create" },
      { call: "crm.deal.create" },
      { call: "crm.deal.win" },
      {
        event: "deal.won",
        handledBy: "service",
        note: "version 2 (v1 events arrive upcast): client matched or created, draft quote"
      },
      { event: "deal.won", handledBy: "learning", note: "version 2; steps written against v1 still match" },
      { call: "service.quote.list" },
      { call: "service.client.get" }
    ]
  }),
  Flow.make({
    key: "service.first-job",
    title: "The service business's first paid job",
    domains: ["service", "learning"],
    given: ["An organization with the learning journey's built-in tracks", "A user who has done nothing yet"],
    when: [
      "The user adds a client, schedules a job, completes it, issues its invoice and records payments that settle it"
    ],
    then: ["The user's service-first-job track is completed with 650 XP and the service-first-job badge"],
    steps: [
      { call: "service.client.create" },
      { event: "service.client.created", handledBy: "learning" },
      { call: "service.job.schedule", note: "the seed page's example, as written" },
      { event: "service.job.scheduled", handledBy: "learning" },
      { call: "service.job.complete" },
      { event: "service.job.completed", handledBy: "learning" },
      { call: "service.invoice.issue" },
      { event: "service.invoice.issued", handledBy: "learning" },
      { call: "service.payment.record", note: "a partial payment, then the rest" },
      { event: "service.invoice.paid", handledBy: "learning", note: "the track completes" },
      { call: "learning.onboarding.getProgress" }
    ]
  })
]
