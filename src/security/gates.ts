// The three tiers, decided in one place from the tool's declared tier. A refused call
// never reaches a handler, so it cannot make a request, not even a look-up.
import type { Config } from "../config/env.ts";
import { WriteGateError } from "../errors.ts";
import { consentValueProblem } from "../tools/messages.ts";
import { TIER_NAMES, type Tier } from "../tools/types.ts";

export const GATE_DESCRIPTIONS = {
  // Short on purpose: every write tool lists them on every request (the server's instructions explain the tiers).
  confirm: "true, only when the user asked for this action.",
  destructive: "true, only when the user explicitly asked for this destructive action.",
  dry_run: "true: just show the plan; needs no confirm.",
} as const;

/** Returns the refusal for a call missing any of its tier's gates, or undefined when all are met. */
export function checkGates(toolName: string, tier: Tier, args: Record<string, unknown>, config: Pick<Config, "destructiveEnabled" | "readOnly">): WriteGateError | undefined {
  if (tier === 1) return undefined;
  if (config.readOnly) {
    return new WriteGateError(
      `${toolName} was refused: this instance is read-only (PROXMOX_READ_ONLY or readOnly in PROXMOX_CONFIG), so no write tool may run on it.`,
      ["read-only"],
      "A person must restart the server without PROXMOX_READ_ONLY to allow writes.",
    );
  }
  const missing: string[] = [];
  const fixes: string[] = [];
  // A dry run sends no write, so it needs no consent; it still needs every other gate, so
  // a plan for a destructive tool is only shown where that tool could run.
  const dryRun = args.dry_run === true;
  // Security: strict equality. "true", 1 or {} are not consent.
  if (args.confirm !== true && !dryRun) {
    missing.push("confirm");
    fixes.push(`${consentValueProblem("confirm", args.confirm)} (only after the user asked for this action)`);
  }
  if (tier === 3) {
    if (args.destructive !== true) {
      missing.push("destructive");
      fixes.push(`${consentValueProblem("destructive", args.destructive)} (only when the user explicitly asked for this destructive action)`);
    }
    if (!config.destructiveEnabled) {
      missing.push("PROXMOX_ENABLE_DESTRUCTIVE");
      fixes.push("a person must restart the server with PROXMOX_ENABLE_DESTRUCTIVE=1 in its environment; a model cannot set it");
    }
  }
  if (missing.length === 0) return undefined;
  return new WriteGateError(
    `${toolName} is a ${TIER_NAMES[tier]} (tier ${tier}) tool and was refused before any request to Proxmox. Missing: ${missing.map((m) => (m in args && args[m] !== undefined ? `${m} (given, but not as the boolean true)` : m)).join(", ")}.`,
    missing,
    `To run it: ${fixes.join("; ")}.`,
  );
}
