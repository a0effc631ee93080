/**
 * Tasks: calls, e-mails, meetings and to-dos, optionally about a deal or a contact.
 */
import { command, query } from "@tessera/contract-kit/Contract"
import { ContractError } from "@tessera/contract-kit/ContractError"
import { Schema } from "effect"
import { ContactNotFound, DealNotFound } from "./Deals.ts"
import { TaskCompleted, TaskType } from "./Events.ts"
import { ContactId, Cursor, DealId, InvalidCursor, Limit, Name, owners, TaskId, Timestamp, UserId } from "./Shared.ts"

export const TaskStatus = Schema.Literals(["open", "completed"])
export type TaskStatus = typeof TaskStatus.Type

export const Task = Schema.Struct({
  id: TaskId,
  type: TaskType,
  title: Name,
  dueAt: Schema.NullOr(Timestamp),
  assigneeId: UserId,
  status: TaskStatus,
  dealId: Schema.NullOr(DealId),
  contactId: Schema.NullOr(ContactId),
  completedAt: Schema.NullOr(Timestamp),
  createdAt: Timestamp
})
export type Task = typeof Task.Type

export class TaskNotFound extends ContractError<TaskNotFound>()(
  "TaskNotFound",
  {
    code: "TASK_NOT_FOUND",
    status: 404,
    title: "Task not found",
    when: "No task with this id in the caller's organization"
  },
  { taskId: Schema.String }
) {}

export class TaskAlreadyCompleted extends ContractError<TaskAlreadyCompleted>()(
  "TaskAlreadyCompleted",
  {
    code: "TASK_ALREADY_COMPLETED",
    status: 409,
    title: "Task already completed",
    when: "The task was completed before"
  },
  { taskId: Schema.String }
) {}

const exampleTask = {
  id: "task_1",
  type: "follow_up",
  title: "Send the proposal",
  dueAt: "2025-01-22T09:00:00.000Z",
  assigneeId: "user-1",
  status: "open",
  dealId: "deal-789",
  contactId: null,
  completedAt: null,
  createdAt: "2025-01-20T09:00:00.000Z"
} as const

export const CreateTask = command({
  meta: {
    key: "crm.task.create",
    version: "1.0.0",
    stability: "stable",
    owners,
    tags: ["crm", "task", "create"],
    description: "Create a task, optionally about a deal or a contact.",
    goal: "Plan the next step with a customer.",
    context: "Deal and contact pages, daily planning."
  },
  input: Schema.Struct({
    type: TaskType,
    title: Name,
    dueAt: Schema.optionalKey(Timestamp),
    /** Defaults to the caller. */
    assigneeId: Schema.optionalKey(UserId),
    dealId: Schema.optionalKey(DealId),
    contactId: Schema.optionalKey(ContactId)
  }),
  output: Task,
  errors: [DealNotFound, ContactNotFound],
  policy: { auth: "user" },
  acceptance: {
    scenarios: [
      {
        key: "create-task-for-deal",
        given: ["A deal exists"],
        when: ["User creates a follow-up task for it"],
        then: ["Task is open, assigned to the user, linked to the deal"]
      }
    ],
    examples: [
      {
        key: "follow-up-proposal",
        input: { type: "follow_up", title: "Send the proposal", dueAt: "2025-01-22T09:00:00.000Z", dealId: "deal-789" },
        output: exampleTask
      }
    ]
  }
})

export const CompleteTask = command({
  meta: {
    key: "crm.task.complete",
    version: "1.0.0",
    stability: "stable",
    owners,
    tags: ["crm", "task", "complete"],
    description: "Mark a task as completed.",
    goal: "Record that the planned step happened.",
    context: "Task lists."
  },
  input: Schema.Struct({ taskId: TaskId }),
  output: Task,
  errors: [TaskNotFound, TaskAlreadyCompleted],
  policy: { auth: "user" },
  emits: [{ event: TaskCompleted, when: "The task is completed" }],
  acceptance: {
    scenarios: [
      {
        key: "complete-task-happy-path",
        given: ["An open task"],
        when: ["User completes it"],
        then: ["Task is completed with completedAt set", "TaskCompleted event is emitted"]
      },
      {
        key: "complete-task-twice",
        given: ["A completed task"],
        when: ["User completes it again"],
        then: ["The call is refused with 409 TASK_ALREADY_COMPLETED"]
      }
    ],
    examples: [
      {
        key: "complete-follow-up",
        input: { taskId: "task_1" },
        output: { ...exampleTask, status: "completed", completedAt: "2025-01-21T09:00:00.000Z" }
      }
    ]
  }
})

export const ListTasks = query({
  meta: {
    key: "crm.task.list",
    version: "1.0.0",
    stability: "stable",
    owners,
    tags: ["crm", "task", "list"],
    description: "List tasks by assignee, status, deal or contact, soonest due first.",
    goal: "Know what to do next.",
    context: "Task lists, deal and contact pages."
  },
  input: Schema.Struct({
    assigneeId: Schema.optionalKey(UserId),
    status: Schema.optionalKey(TaskStatus),
    dealId: Schema.optionalKey(DealId),
    contactId: Schema.optionalKey(ContactId),
    limit: Schema.optionalKey(Limit),
    cursor: Schema.optionalKey(Cursor)
  }),
  output: Schema.Struct({ items: Schema.Array(Task), nextCursor: Schema.NullOr(Cursor) }),
  errors: [InvalidCursor],
  policy: { auth: "user" },
  acceptance: {
    scenarios: [
      {
        key: "list-open-tasks-of-deal",
        given: ["Open and completed tasks on two deals"],
        when: ["User lists open tasks of one deal"],
        then: ["Only that deal's open tasks are returned, soonest due first"]
      }
    ],
    examples: [
      {
        key: "open-tasks-of-renewal",
        input: { dealId: "deal-789", status: "open" },
        output: { items: [exampleTask], nextCursor: null }
      }
    ]
  }
})
