// Typed failures of a request to Proxmox, each with a message a person can act on.
import { type ErrorCode, ProxmoxMcpError } from "../errors.ts";
import { pveText } from "../format/text.ts";

/** How much of PVE's own error text an error keeps (it was masked before this cut). */
const MAX_PVE_MESSAGE = 300;
const MAX_PARAM_REASON = 200;
const MAX_PARAMS = 10;

export class PveError extends ProxmoxMcpError {
  constructor(
    code: ErrorCode,
    message: string,
    hint: string | undefined,
    readonly details: {
      status?: number;
      method: string;
      path: string;
      /** PVE's per-parameter reasons on a 400. */
      paramErrors?: Record<string, string>;
      /** For writes: could PVE have acted on it? Decides whether a retry is safe. */
      mayHaveReachedPve: boolean;
      /** On a 403: the ACL path and privilege(s) PVE named. */
      permission?: PermissionDenial;
      /** How long PVE took to answer, in ms (a 595 after a proxy timeout is not worth retrying). */
      elapsedMs?: number;
    },
    options?: { cause?: unknown },
  ) {
    super(code, message, hint, options);
  }
}

const TLS_HINT =
  "The certificate is self-signed or not trusted by this machine. Trust the cluster's CA with PROXMOX_CA_FILE=/path/to/pve-root-ca.pem, or pin the certificate with PROXMOX_TLS_FINGERPRINT=AB:CD:… (as shown under the node's Certificates), or as a last resort set PROXMOX_TLS_INSECURE=true.";

export function tlsHint(): string {
  return TLS_HINT;
}

export interface PermissionDenial {
  path: string;
  /** One privilege, or several of which any one would do ("VM.GuestAgent.Audit|VM.GuestAgent.Unrestricted"). */
  privileges: string[];
  /** PVE's remark after the privilege ("for modifying tag 'prod'"). */
  reason?: string;
}

/**
 * pve-access-control RPCEnvironment.pm: check() raises "Permission check failed (<path>, <priv>)",
 * check_any() joins the privileges with "|"; pve-guest-common assert_tag_permissions adds a
 * remark ("/, Sys.Modify for modifying tag 'x'"). Anything else is not a privilege denial.
 */
export function parsePermissionDenial(message: string | undefined): PermissionDenial | undefined {
  const m = /Permission check failed \((\/[^,()]*), ([A-Za-z]+\.[A-Za-z.|]+)(?: (for [^)]*))?\)/.exec(message ?? "");
  if (!m) return undefined;
  return { path: m[1] as string, privileges: (m[2] as string).split("|"), reason: m[3] };
}

/** Maps an HTTP answer from PVE that is not 2xx to a typed error. */
export function errorFromResponse(
  method: string,
  path: string,
  status: number,
  pveMessage: string | undefined,
  paramErrors: Record<string, string> | undefined,
  tokenId = "<user@realm!token>",
): PveError {
  const where = `${method} ${path}`;
  // Security: PVE's text (or a proxy's) is data: one line, bounded, no control characters.
  const said = pveMessage?.trim() ? pveText(pveMessage.trim(), MAX_PVE_MESSAGE) : undefined;
  const details = { status, method, path, paramErrors, mayHaveReachedPve: true };
  switch (true) {
    case status === 401:
      return new PveError(
        "pve_auth",
        `Proxmox rejected the API token (401) on ${where}.`,
        "Check PROXMOX_TOKEN_ID (user@realm!tokenname) and PROXMOX_TOKEN_SECRET; the token may have been deleted or expired.",
        { ...details, mayHaveReachedPve: false },
      );
    case status === 403: {
      const denied = parsePermissionDenial(said);
      return new PveError(
        "pve_permission",
        denied
          ? `Proxmox refused ${where}: the token lacks ${denied.privileges.join(" or ")} on ${denied.path}${denied.reason ? ` (${denied.reason})` : ""}. This is a permission problem, not a fault of the guest or node.`
          : `Proxmox denied ${where}: ${said || "permission check failed"}.`,
        denied
          ? `Grant it to the token: pveum acl modify ${denied.path} --tokens '${tokenId}' --roles <a role holding ${denied.privileges[0]}>${denied.privileges.some((p) => p === "VM.Monitor") ? " (PVE 8 asks VM.Monitor for guest-agent reads; PVE 9 asks VM.GuestAgent.Audit)" : ""}. A token with privilege separation needs its own ACL entries; proxmox_whoami lists what it has.`
          : "The token lacks the privilege named above on that path. Grant it with `pveum acl modify` (a token with privilege separation needs its own ACL entries).",
        { ...details, mayHaveReachedPve: false, permission: denied },
      );
    }
    case status === 400: {
      const entries = paramErrors ? Object.entries(paramErrors) : [];
      const reasons = paramErrors
        ? entries
            .slice(0, MAX_PARAMS)
            .map(([param, reason]) => `${pveText(param, 60)}: ${pveText(reason.trim(), MAX_PARAM_REASON)}`)
            .concat(entries.length > MAX_PARAMS ? [`and ${entries.length - MAX_PARAMS} more`] : [])
            .join("; ")
        : said;
      return new PveError(
        "pve_bad_request",
        `Proxmox rejected the parameters of ${where}: ${reasons || "parameter verification failed"}.`,
        "Correct the named parameters and try again.",
        { ...details, mayHaveReachedPve: false },
      );
    }
    case status === 595 || status === 596:
      return new PveError(
        "pve_unreachable",
        `Proxmox could not reach the node for ${where} (${status}${said ? `: ${said}` : ""}).`,
        "The node is probably offline or its pveproxy is down; check it with proxmox_status.",
        details,
      );
    case status === 501:
      return new PveError(
        "pve_error",
        `Proxmox does not implement ${where} (501).`,
        "This PVE version may be older than the one this server targets (PVE 8/9).",
        { ...details, mayHaveReachedPve: false },
      );
    case status === 502 || status === 503 || status === 504:
      return new PveError(
        "pve_unreachable",
        `A proxy or Proxmox itself answered ${status} on ${where}${said ? `: ${said}` : ""}.`,
        "Proxmox or a proxy in front of it is overloaded or restarting; try again shortly.",
        details,
      );
    default:
      return new PveError(
        "pve_error",
        `Proxmox failed ${where} (${status})${said ? `: ${said}` : ""}.`,
        status >= 500 ? "Proxmox reported an error; the message above is Proxmox's own." : undefined,
        details,
      );
  }
}
