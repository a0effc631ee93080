/**
 * The built-in "CRM first win" track: a new CRM user's first sale, from an empty pipeline to a
 * won deal and its follow-up. Written with the typed condition builder over the CRM's event
 * definitions, so a renamed event or payload field breaks the build, not the journey.
 */

import {
  ContactCreated,
  DealCreated,
  DealMoved,
  DealWon,
  PipelineCreated,
  TaskCompleted
} from "@tessera/contracts/crm/Events"
import * as Conditions from "@tessera/contracts/learning-journey/Conditions"
import { TrackId } from "@tessera/contracts/learning-journey/Shared"
import type { TrackDefinition } from "@tessera/contracts/learning-journey/Tracks"

/** Its id is the same in every organization. */
export const CRM_FIRST_WIN_ID: TrackId = TrackId.make("crm-first-win")

export const CrmFirstWin: TrackDefinition = {
  product: "crm",
  name: "CRM first win",
  description: "Set up your pipeline, work a deal through it, win it and follow up.",
  steps: [
    {
      id: "create-pipeline",
      title: "Create a pipeline",
      instructions: "Create a sales pipeline with the stages your deals go through.",
      condition: Conditions.event(PipelineCreated),
      xp: 50,
      prerequisites: [],
      required: true
    },
    {
      id: "create-contact",
      title: "Add a contact",
      instructions: "Add the person you are selling to.",
      condition: Conditions.event(ContactCreated),
      xp: 50,
      prerequisites: ["create-pipeline"],
      required: true
    },
    {
      id: "create-deal",
      title: "Open a deal",
      instructions: "Open a deal for your contact in the pipeline.",
      condition: Conditions.event(DealCreated),
      xp: 75,
      prerequisites: ["create-contact"],
      required: true
    },
    {
      id: "move-deals",
      title: "Move deals through stages",
      instructions: "Move deals from one stage to the next, three times in all.",
      condition: Conditions.count(DealMoved, { atLeast: 3 }),
      xp: 100,
      prerequisites: ["create-deal"],
      required: true
    },
    {
      id: "win-deal",
      title: "Win a deal",
      instructions: "Mark a deal as won.",
      condition: Conditions.event(DealWon),
      xp: 150,
      prerequisites: ["move-deals"],
      required: true
    },
    {
      id: "follow-up",
      title: "Follow up",
      instructions: "Complete a follow-up task with your customer.",
      condition: Conditions.event(TaskCompleted, { where: { type: "follow_up" } }),
      xp: 75,
      prerequisites: ["win-deal"],
      required: false
    }
  ],
  completion: { xpBonus: 200, badge: "crm-first-win" },
  streak: { days: 3, xpBonus: 50, badge: "crm-streak-3" }
}
