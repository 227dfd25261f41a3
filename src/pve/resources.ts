// Inventory comes from GET /cluster/resources: one request whatever the number of nodes.
import { NotFoundError, InputError } from "../errors.ts";
import { pveText } from "../format/text.ts";
import type { PveClient } from "./client.ts";
import { PveError } from "./errors.ts";
import { auditorLine, heldOn, noGuestVisibility, readPermissions } from "./visibility.ts";
import type { GuestType } from "./formats.ts";

/** The fields of a /cluster/resources entry this server reads (PVE sends more). */
export interface ClusterResource {
  id: string;
  type: string;
  node?: string;
  status?: string;
  name?: string;
  vmid?: number;
  cpu?: number;
  maxcpu?: number;
  mem?: number;
  maxmem?: number;
  disk?: number;
  maxdisk?: number;
  uptime?: number;
  tags?: string;
  template?: number | boolean;
  hastate?: string;
  lock?: string;
  pool?: string;
  storage?: string;
  content?: string;
  plugintype?: string;
  shared?: number | boolean;
  level?: string;
}

export interface Guest {
  vmid: number;
  type: GuestType;
  node: string;
  name: string;
  status: string;
  template: boolean;
  tags: string[];
  raw: ClusterResource;
}

export function listResources(pve: PveClient, type: "vm" | "node" | "storage", signal?: AbortSignal): Promise<ClusterResource[]> {
  return pve.get<ClusterResource[] | null>(["cluster", "resources"], { type }, { signal }).then((r) => r ?? []);
}

export function splitTags(tags: string | undefined): string[] {
  return tags ? tags.split(/[;, ]+/).filter(Boolean) : [];
}

export function toGuest(r: ClusterResource): Guest | undefined {
  if ((r.type !== "qemu" && r.type !== "lxc") || typeof r.vmid !== "number" || !r.node) {
    // PVE 7 sent vmid as a string in some lists; /cluster/resources has always sent a number.
    const vmid = Number(r.vmid);
    if ((r.type !== "qemu" && r.type !== "lxc") || !Number.isInteger(vmid) || !r.node) return undefined;
    r = { ...r, vmid };
  }
  return {
    vmid: r.vmid as number,
    type: r.type as GuestType,
    node: r.node as string,
    name: r.name ?? "",
    status: r.status ?? "unknown",
    template: r.template === 1 || r.template === true,
    tags: splitTags(r.tags),
    raw: r,
  };
}

export async function listGuests(pve: PveClient, signal?: AbortSignal): Promise<Guest[]> {
  const resources = await listResources(pve, "vm", signal);
  const guests = resources.map(toGuest).filter((g): g is Guest => g !== undefined);
  remember(pve, guests);
  return guests;
}

/**
 * When the inventory shows no guest (or not the one asked for), says why if the token's
 * permissions explain it: no VM.Audit anywhere (a privilege-separated token without an ACL).
 */
export async function whyNoGuestVisible(pve: PveClient, visible: number, signal?: AbortSignal): Promise<{ reason: string; fix: string } | undefined> {
  const permissions = await readPermissions(pve, signal);
  if (!permissions) return undefined;
  const none = Object.values(permissions).every((p) => Object.keys(p ?? {}).length === 0);
  if (noGuestVisibility(permissions)) {
    return {
      reason: `${none ? "it has no privileges at all" : "it has VM.Audit on no guest"}, and PVE lists only the guests a token may audit${visible === 0 ? " — the empty inventory says nothing about what exists" : ""}.`,
      fix: `A token made with privilege separation (the PVE default) needs its own ACL: ${auditorLine(pve.tokenId)}`,
    };
  }
  if (!heldOn(permissions, "VM.Audit", "/vms")) {
    const scopes = Object.keys(permissions).filter((p) => (p.startsWith("/vms/") || p.startsWith("/pool/")) && permissions[p]?.["VM.Audit"]);
    return {
      reason: `it may audit only some guests (${scopes.slice(0, 8).join(", ")}${scopes.length > 8 ? ", …" : ""}), and PVE hides the rest, so a guest outside them may still exist.`,
      fix: `Grant VM.Audit on the guest or on /vms: ${auditorLine(pve.tokenId).replace(" / ", " /vms ")}`,
    };
  }
  return undefined;
}

// --- where each guest lives ------------------------------------------------------------
// Finding one guest must not cost the whole inventory (3 MB at 10,000 guests). Every
// inventory read leaves a vmid → node map behind for a short while; a read of one guest
// uses it, and the call itself checks it: PVE answers "does not exist" on the wrong node
// (HA or a migration moved the guest), and then the guest is located afresh, once.

/** How long a remembered location is trusted before the inventory is read again. */
export const LOCATION_TTL_MS = 60_000;

/** A guest as remembered: what a guest is, without the inventory row it was read from. */
export type GuestLocation = Omit<Guest, "raw">;

interface Locations {
  at: number;
  guests: Map<number, GuestLocation>;
}

const locations = new WeakMap<PveClient, Locations>();

function remember(pve: PveClient, guests: readonly Guest[]): void {
  // Memory: not the rows themselves, which would keep the whole parsed inventory alive
  // (about 6 MiB at 10,000 guests) between calls.
  const slim = guests.map(({ raw: _row, ...location }): [number, GuestLocation] => [location.vmid, location]);
  locations.set(pve, { at: Date.now(), guests: new Map(slim) });
}

/** The remembered guest, while the memory is fresh. */
export function rememberedGuest(pve: PveClient, vmid: number): GuestLocation | undefined {
  const known = locations.get(pve);
  if (!known || Date.now() - known.at > LOCATION_TTL_MS) return undefined;
  return known.guests.get(vmid);
}

/** Forget every location (after a write that moves or removes guests, or a miss). */
export function forgetLocations(pve: PveClient): void {
  locations.delete(pve);
}

/** PVE's answer when a guest is not (or no longer) on the node asked: its config file is missing there. */
export function isNotOnNode(error: unknown): boolean {
  return error instanceof PveError && (error.details.status === 500 || error.details.status === 404) && /does not exist|no such VM|not found/i.test(error.message);
}

/**
 * Runs fn on the guest: on its remembered location when that is fresh (no inventory read),
 * else on the location the inventory gives. A "does not exist" from a remembered location
 * re-locates once. Only for reads: a write acts on a location read just now.
 */
export async function withGuest<T>(pve: PveClient, vmid: number, hint: { node?: string; type?: GuestType }, signal: AbortSignal | undefined, fn: (guest: GuestLocation) => Promise<T>): Promise<T> {
  const remembered = rememberedGuest(pve, vmid);
  if (remembered && (!hint.node || hint.node === remembered.node) && (!hint.type || hint.type === remembered.type)) {
    try {
      return await fn(remembered);
    } catch (error) {
      if (!isNotOnNode(error)) throw error;
      forgetLocations(pve);
    }
  }
  return fn(await findGuest(pve, vmid, hint, signal));
}

/**
 * Finds a guest by vmid. A caller may pass node and type; they must agree with what the
 * cluster says, since acting on the wrong node or type is never what was meant.
 */
export async function findGuest(pve: PveClient, vmid: number, hint: { node?: string; type?: GuestType } = {}, signal?: AbortSignal): Promise<Guest> {
  const guests = await listGuests(pve, signal);
  const guest = guests.find((g) => g.vmid === vmid);
  if (!guest) {
    // PVE lists only the guests a token may audit: "not in the list" is not "does not exist".
    const blind = await whyNoGuestVisible(pve, guests.length, signal);
    if (blind) throw new NotFoundError(`Guest ${vmid} is not visible to this token: ${blind.reason}`, blind.fix);
    throw new NotFoundError(`No guest with vmid ${vmid} exists in the cluster.`, "List guests with proxmox_list_vms or proxmox_list_containers to find the right vmid.");
  }
  if (hint.node && hint.node !== guest.node) {
    throw new InputError(`Guest ${vmid} (${pveText(guest.name, 63)}) is on node ${pveText(guest.node, 63)}, not ${hint.node}.`, `Pass node: "${guest.node}" or leave node out and the server finds it.`);
  }
  if (hint.type && hint.type !== guest.type) {
    throw new InputError(
      `Guest ${vmid} (${pveText(guest.name, 63)}) is a ${guest.type === "qemu" ? "VM (qemu)" : "container (lxc)"}, not ${hint.type}.`,
      `Pass type: "${guest.type}" or leave type out and the server finds it.`,
    );
  }
  return guest;
}
