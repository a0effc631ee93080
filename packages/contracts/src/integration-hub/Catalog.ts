/**
 * The integration hub's whole catalog, as clients (`ContractApi.make("integration", catalog)`),
 * the docs and the breaking-change snapshot read it.
 */
import {
  CreateConnection,
  DisableConnection,
  GetConnection,
  ListConnections,
  RotateCredentials,
  TestConnection
} from "./Connections.ts"
import {
  ConnectionCreated,
  FieldMappingAdded,
  RecordSynced,
  SyncCompleted,
  SyncConfigCreated,
  SyncFailed,
  SyncRequested,
  SyncStarted
} from "./Events.ts"
import { AddFieldMapping, ListFieldMappings, RemoveFieldMapping } from "./FieldMappings.ts"
import {
  CreateSyncConfig,
  GetSyncConfig,
  ListSyncConfigs,
  PauseSyncConfig,
  PreviewSyncConfig,
  ResumeSyncConfig
} from "./SyncConfigs.ts"
import { CancelSyncRun, GetSyncRun, ListSyncRuns, TriggerSync } from "./SyncRuns.ts"

export const catalog = [
  CreateConnection,
  GetConnection,
  ListConnections,
  RotateCredentials,
  TestConnection,
  DisableConnection,
  CreateSyncConfig,
  GetSyncConfig,
  ListSyncConfigs,
  PauseSyncConfig,
  ResumeSyncConfig,
  PreviewSyncConfig,
  AddFieldMapping,
  RemoveFieldMapping,
  ListFieldMappings,
  TriggerSync,
  GetSyncRun,
  ListSyncRuns,
  CancelSyncRun
] as const

/** The events the integration hub publishes. */
export const events = [
  ConnectionCreated,
  SyncConfigCreated,
  FieldMappingAdded,
  SyncRequested,
  SyncStarted,
  SyncCompleted,
  SyncFailed,
  RecordSynced
] as const
