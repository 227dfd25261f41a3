// Inventory comes from GET /cluster/resources: one request whatever the number of nodes.
import { NotFoundError, InputError } from "../errors.ts";
import { pveText } from "../format/text.ts";
import type { PveClient } from "./client.ts";
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
  return resources.map(toGuest).filter((g): g is Guest => g !== undefined);
}

/**
 * Finds a guest by vmid. A caller may pass node and type; they must agree with what the
 * cluster says, since acting on the wrong node or type is never what was meant.
 */
export async function findGuest(pve: PveClient, vmid: number, hint: { node?: string; type?: GuestType } = {}, signal?: AbortSignal): Promise<Guest> {
  const guests = await listGuests(pve, signal);
  const guest = guests.find((g) => g.vmid === vmid);
  if (!guest) {
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
