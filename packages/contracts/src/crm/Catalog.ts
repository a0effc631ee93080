/**
 * The CRM's whole catalog, as clients (`ContractApi.make("crm", catalog)`), the docs and the
 * breaking-change snapshot read it.
 */
import { CreateCompany, ListCompanies } from "./Companies.ts"
import { CreateContact, ListContacts } from "./Contacts.ts"
import { CreateDeal, GetDeal, ListDeals, LoseDeal, MoveDeal, WinDeal } from "./Deals.ts"
import {
  ContactCreated,
  DealCreated,
  DealLost,
  DealMoved,
  DealWonV2,
  PipelineCreated,
  TaskCompleted
} from "./Events.ts"
import { CreatePipeline, ListPipelines } from "./Pipelines.ts"
import { CompleteTask, CreateTask, ListTasks } from "./Tasks.ts"

export const catalog = [
  CreatePipeline,
  ListPipelines,
  CreateDeal,
  GetDeal,
  MoveDeal,
  WinDeal,
  LoseDeal,
  ListDeals,
  CreateContact,
  ListContacts,
  CreateCompany,
  ListCompanies,
  CreateTask,
  CompleteTask,
  ListTasks
] as const

/** The events the CRM publishes. */
export const events = [
  PipelineCreated,
  DealCreated,
  DealMoved,
  DealWonV2,
  DealLost,
  ContactCreated,
  TaskCompleted
] as const
