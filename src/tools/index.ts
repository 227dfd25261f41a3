// Every tool the server offers, in the order tools/list shows them.
import { getResource, listContainers, listTemplates, listVms } from "./guests.ts";
import { listBackups, runBackup } from "./backups.ts";
import { forceStopResource, rebootResource, startResource, stopResource } from "./power.ts";
import { cloneResource, createContainer, createVm, destroyResource } from "./provision.ts";
import { deleteSnapshot, listSnapshotsTool, rollbackSnapshot, snapshotResource } from "./snapshots.ts";
import { haStatus, whoami } from "./access.ts";
import { apiTool } from "./api.ts";
import { findGuestTool } from "./find.ts";
import { guestInfo } from "./guest-agent.ts";
import { guestExec } from "./guest-exec.ts";
import { migrateResource } from "./migrate.ts";
import { nodeStatus } from "./nodes.ts";
import { listStorage } from "./storage.ts";
import { status } from "./cluster.ts";
import { resourceUsage } from "./metrics.ts";
import { cancelTask, getTaskLogTool, getTaskStatusTool, recentTasks, waitTask } from "./tasks.ts";
import { resizeDisk, updateConfig } from "./config.ts";
import { restoreBackup, verifyBackup } from "./restore.ts";
import { downloadToStorage } from "./downloads.ts";
import type { AnyTool } from "./types.ts";

export const READ_TOOLS: readonly AnyTool[] = [
  status,
  listContainers,
  listVms,
  getResource,
  recentTasks,
  listBackups,
  resourceUsage,
  listTemplates,
  getTaskStatusTool,
  getTaskLogTool,
  listStorage,
  nodeStatus,
  guestInfo,
  listSnapshotsTool,
  haStatus,
  whoami,
  waitTask,
  findGuestTool,
];

export const WRITE_TOOLS: readonly AnyTool[] = [
  startResource,
  stopResource,
  rebootResource,
  snapshotResource,
  runBackup,
  createContainer,
  createVm,
  cloneResource,
  migrateResource,
  destroyResource,
  deleteSnapshot,
  forceStopResource,
  rollbackSnapshot,
  guestExec,
  apiTool,
  updateConfig,
  resizeDisk,
  restoreBackup,
  verifyBackup,
  downloadToStorage,
  cancelTask,
];

export const ALL_TOOLS: readonly AnyTool[] = [...READ_TOOLS, ...WRITE_TOOLS];
