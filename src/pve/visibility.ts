// What the token may see. PVE answers a token that lacks a privilege with a shorter list, not
// an error (pve-storage check_volume_access, the VM.Audit filter of /cluster/resources), so
// an empty answer is only honest once we know whether the token could have seen anything.
import type { PveClient } from "./client.ts";
import type { Permissions } from "./privileges.ts";

/** The token's effective permissions, or null when they cannot be read (then nothing is claimed). */
export async function readPermissions(pve: PveClient, signal?: AbortSignal): Promise<Permissions | null> {
  try {
    return (await pve.get<Permissions | null>(["access", "permissions"], {}, { signal })) ?? {};
  } catch {
    return null;
  }
}

const held = (entry: Record<string, number | boolean> | undefined, priv: string) => entry?.[priv] === 1 || entry?.[priv] === true;

/** Held on this concrete path (e.g. /storage/nas-backup), by an ACL on it, a parent, or its pool. */
export function heldOn(permissions: Permissions, priv: string, path: string): boolean {
  const parts = path.split("/").filter(Boolean);
  for (let i = parts.length; i >= 0; i--) {
    if (held(permissions[i === 0 ? "/" : `/${parts.slice(0, i).join("/")}`], priv)) return true;
  }
  return false;
}

/** Held anywhere under a tree (/vms: on every guest, on one, or through a pool). */
export function heldAnywhere(permissions: Permissions, priv: string, tree: string): boolean {
  return Object.entries(permissions).some(([path, privs]) => (path === "/" || path === tree || path.startsWith(`${tree}/`) || (tree === "/vms" && path.startsWith("/pool/"))) && held(privs, priv));
}

/**
 * Why backup volumes on a storage may be hidden from this token, or undefined when it sees
 * them all. pve-storage Storage.pm check_volume_access: Datastore.Allocate on the storage
 * shows everything; otherwise a backup needs Datastore.AllocateSpace on the storage and
 * VM.Backup on its guest.
 */
export function backupsHiddenOn(permissions: Permissions, storage: string, vmid?: number): string | undefined {
  const store = `/storage/${storage}`;
  if (heldOn(permissions, "Datastore.Allocate", store)) return undefined;
  const guest = vmid === undefined ? "/vms" : `/vms/${vmid}`;
  const lacking = [
    heldOn(permissions, "Datastore.AllocateSpace", store) ? "" : `Datastore.AllocateSpace on ${store}`,
    (vmid === undefined ? heldOn(permissions, "VM.Backup", "/vms") : heldOn(permissions, "VM.Backup", guest)) ? "" : `VM.Backup on ${vmid === undefined ? "/vms (or each guest)" : guest}`,
  ].filter(Boolean);
  return lacking.length ? lacking.join(" and ") : undefined;
}

/** The pveum line that would let a privilege-separated token with no ACL read the inventory. */
export function auditorLine(tokenId: string): string {
  return `pveum acl modify / --tokens '${tokenId}' --roles PVEAuditor`;
}

/** When an inventory answer is empty: is that because the token may not see guests at all? */
export function noGuestVisibility(permissions: Permissions | null): boolean {
  if (!permissions) return false;
  return !heldAnywhere(permissions, "VM.Audit", "/vms");
}
