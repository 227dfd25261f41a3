// Protocol error codes that differ between revisions. Resource not found is -32002 in
// 2025-11-25 ("Resource not found: -32002", server/resources#error-handling) and -32602
// Invalid Params with data.uri from 2026-07-28 on (SEP-2164). The SDK sends -32602 in both
// eras, so a 2025-era answer is given the code its revision names, here at the edge.

export const LEGACY_RESOURCE_NOT_FOUND = -32002;

/** True for a protocol revision that names -32002 for resource not found. */
export function isLegacyRevision(version: string | null | undefined): boolean {
  return typeof version === "string" && /^20(24|25)-/.test(version);
}

/** The same JSON-RPC message, with a resource-not-found error given its 2025-era code. */
export function withLegacyErrorCodes<T>(message: T): T {
  const error = (message as { error?: { code?: unknown; data?: unknown } } | null)?.error;
  if (!error || error.code !== -32602 || !isUriOnly(error.data)) return message;
  return { ...message, error: { ...error, code: LEGACY_RESOURCE_NOT_FOUND } };
}

function isUriOnly(data: unknown): boolean {
  if (!data || typeof data !== "object") return false;
  const keys = Object.keys(data);
  return keys.length === 1 && keys[0] === "uri" && typeof (data as { uri: unknown }).uri === "string";
}
