// Every tool the server offers, in the order tools/list shows them.
import { getResource, listContainers, listTemplates, listVms } from "./guests.ts";
import { listBackups, runBackup } from "./backups.ts";
import { forceStopResource, rebootResource, startResource, stopResource } from "./power.ts";
import { cloneResource, createContainer, createVm, destroyResource } from "./provision.ts";
import { deleteSnapshot, snapshotResource } from "./snapshots.ts";
import { status } from "./cluster.ts";
import { resourceUsage } from "./metrics.ts";
import { getTaskLogTool, getTaskStatusTool, recentTasks } from "./tasks.ts";
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
  destroyResource,
  deleteSnapshot,
  forceStopResource,
];

export const ALL_TOOLS: readonly AnyTool[] = [...READ_TOOLS, ...WRITE_TOOLS];
