// Messages for calls the registry refuses before any tool runs, kept apart from the
// registry so their wording can change without touching its control flow.
/** Why a gate flag given with the wrong value is not consent: "true" or 1 is not the boolean true. */
export function consentValueProblem(flag: string, value: unknown): string {
  if (value === undefined) return `pass ${flag}: true`;
  const shown = typeof value === "string" ? `the string ${JSON.stringify(value.length > 20 ? `${value.slice(0, 20)}…` : value)}` : value === null ? "null" : Array.isArray(value) ? "a list" : typeof value === "object" ? "an object" : `the ${typeof value} ${String(value)}`;
  return `${flag} must be the JSON boolean true (without quotes), not ${shown}`;
}
