// Asking a person to confirm a write, through the SDK's input_required flow (it serves
// both protocol eras: 2026-07-28 natively, 2025-11-25 through elicitation/create).
//
// Security: an answer counts only for the question it answers. The question travels in
// requestState, sealed with an HMAC whose key only the server knows, so an acceptance
// for VM 101 cannot approve VM 100, and an acceptance the server never asked for (no
// sealed state, or state for another question) approves nothing.
import { createRequestStateCodec, inputRequired, type RequestStateCodec } from "@modelcontextprotocol/server";
import { RefusedError } from "../errors.ts";

export const CONFIRM_KEY = "proxmox_confirm_write";

/** Thrown to hand the SDK an input_required result: the client asks, then calls again. */
export class NeedsInput extends Error {
  constructor(readonly result: Record<string, unknown>) {
    super("input required");
  }
}

interface Asked {
  /** sha256 of the exact question asked. */
  q: string;
  /** The question itself, shortened, to quote in a refusal without planning again. */
  text: string;
}

/** What the SDK hands a tool call about an earlier round of this call. */
export interface AnswerContext {
  inputResponses?: Record<string, unknown>;
  requestState?: () => unknown;
}

// Bun's hasher, not node:crypto: that module takes about 2.5 ms to load in the compiled binary,
// and a start would pay for it to hash these few strings (test/dist/startup-imports.test.ts).
const digest = (text: string) => new Bun.CryptoHasher("sha256").update(text).digest("hex");

/**
 * One codec per server. The key is derived from the cluster token secrets, so every
 * replica behind a load balancer seals and opens the same state (stateless HTTP), and
 * nobody without the secret can mint an approval.
 */
export function confirmationCodec(secrets: readonly string[]): RequestStateCodec<Asked> {
  const key = new Bun.CryptoHasher("sha256").update("proxmox-mcp confirmation state\0").update(secrets.join("\0")).digest();
  return createRequestStateCodec<Asked>({ key, ttlSeconds: 600 });
}

type Answer = { kind: "none" } | { kind: "accepted"; question: string } | { kind: "declined"; question: string; action: string };

/** Reads the person's answer from a retried call; state that does not verify is no answer. */
export async function readAnswer(codec: RequestStateCodec<Asked>, ctx: AnswerContext): Promise<Answer> {
  const response = ctx.inputResponses?.[CONFIRM_KEY] as { action?: unknown; content?: { confirm?: unknown } } | undefined;
  const raw = ctx.requestState?.();
  if (!response || typeof raw !== "string") return { kind: "none" };
  let asked: Asked;
  try {
    asked = await codec.verify(raw, undefined as never);
  } catch {
    return { kind: "none" };
  }
  if (response.action === "accept" && response.content?.confirm === true) return { kind: "accepted", question: asked.q };
  const action = response.action === "accept" ? "did not tick confirm" : response.action === "cancel" ? "cancelled" : "declined";
  return { kind: "declined", question: asked.text, action };
}

/**
 * Resolves when the answer in this call accepts exactly this question; otherwise has the
 * client ask it (NeedsInput). A decline is read earlier, before any look-up (readAnswer).
 */
export async function confirmQuestion(codec: RequestStateCodec<Asked>, ctx: AnswerContext, question: string): Promise<void> {
  const answer = await readAnswer(codec, ctx);
  if (answer.kind === "accepted" && answer.question === digest(question)) return;
  if (answer.kind === "declined") throw declined(answer.question, answer.action);
  const requestState = await codec.mint({ q: digest(question), text: question.slice(0, 600) });
  throw new NeedsInput(
    inputRequired({
      inputRequests: {
        [CONFIRM_KEY]: inputRequired.elicit({
          message: question,
          requestedSchema: { type: "object", properties: { confirm: { type: "boolean", title: "Proceed", description: "Tick to let this happen." } }, required: ["confirm"] },
        }),
      },
      requestState,
    }) as unknown as Record<string, unknown>,
  );
}

export function declined(question: string, action: string): RefusedError {
  return new RefusedError(
    `Not done: the person ${action} when asked:\n${question}\nNo write request was sent to Proxmox; only the read-only look-ups that built the question were.`,
  );
}
