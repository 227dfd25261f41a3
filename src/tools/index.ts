// Every tool the server offers, in the order tools/list shows them.
import { getResource, listContainers, listTemplates, listVms } from "./guests.ts";
import { listBackups } from "./backups.ts";
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

export const ALL_TOOLS: readonly AnyTool[] = [...READ_TOOLS];
