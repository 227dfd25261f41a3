// PVE's identifier formats as valibot schemas. Every identifier a tool takes is checked
// here before it can reach a URL or a request body (PVE's own regexes, anchored as PVE
// anchors them). Messages say what a valid value looks like.
import * as v from "valibot";

// Security: these regexes are the first line against path injection ("../", "%2e",
// "pve1/qemu", NUL, newlines). Do not loosen them without the matching PVE source.
export const NODE_RE = /^[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?$/;
// Written without the i flag: JSON Schema patterns have no flags, so tools/list would lie.
export const STORAGE_RE = /^[a-zA-Z][a-zA-Z0-9\-_.]*[a-zA-Z0-9]$/;
export const CONFIGID_RE = /^[a-zA-Z][a-zA-Z0-9_-]+$/;
export const TAG_RE = /^[a-zA-Z0-9_][a-zA-Z0-9_\-+.]*$/;
export const UPID_RE =
  /^UPID:([a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?):([0-9A-Fa-f]{8}):([0-9A-Fa-f]{8,9}):([0-9A-Fa-f]{8}):([^:\s/]+):([^:\s/]*):([^:\s/]+):$/;
// storage:content/name; the name part may hold '/' (e.g. backup/vzdump-…) but no '..' or controls.
export const VOLID_RE = /^[a-zA-Z][a-zA-Z0-9\-_.]*[a-zA-Z0-9]:[^\s:\0]+$/;
// PVE's dns-name format: what a hostname or VM name may be.
export const DNS_NAME_RE = /^(?=.{1,253}$)([a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?\.)*[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?$/;
export const IPV4_RE = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;
export const IPV4_CIDR_RE = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}\/([0-9]|[12]\d|3[0-2])$/;
export const IPV6_RE = /^[0-9a-fA-F:]{2,39}$/;
export const BRIDGE_RE = /^[a-zA-Z][a-zA-Z0-9_.-]{0,14}$/;
/** A cloud-init user name. */
export const CIUSER_RE = /^[a-z_][a-z0-9_-]{0,31}$/;

export const vmid = v.pipe(
  v.number("vmid must be a number (an integer from 100 to 999999999), not a string"),
  v.integer("vmid must be a whole number from 100 to 999999999"),
  v.minValue(100, "vmid must be at least 100 (PVE reserves lower ids)"),
  v.maxValue(999999999, "vmid must be at most 999999999"),
  v.description("Guest id."),
);

export const node = v.pipe(
  v.string("node must be a string"),
  v.maxLength(63, "node name is at most 63 characters"),
  v.regex(NODE_RE, "node must be a PVE node name: letters, digits and '-', e.g. pve1"),
  v.description("Node name, e.g. pve1."),
);

export const storage = v.pipe(
  v.string("storage must be a string"),
  v.maxLength(64, "storage id is at most 64 characters"),
  v.regex(STORAGE_RE, "storage must be a PVE storage id: a letter, then letters, digits, '-', '_' or '.', e.g. local-lvm"),
  v.description("Storage id, e.g. local-lvm."),
);

export const upid = v.pipe(
  v.string("upid must be a string"),
  v.maxLength(512, "upid is too long to be a PVE task id"),
  v.regex(/^[\x21-\x7e]+$/, "upid must be printable ASCII, like every PVE task id"),
  v.regex(UPID_RE, "upid must be a PVE task id such as UPID:pve1:0000C346:165A0CE4:68D7279C:qmstart:100:root@pam: (with the trailing ':')"),
  v.description("Task id (UPID), as returned by a write or proxmox_recent_tasks."),
);

export const snapshotName = v.pipe(
  v.string("name must be a string"),
  v.maxLength(40, "snapshot name is at most 40 characters"),
  v.regex(CONFIGID_RE, "snapshot name must start with a letter and hold only letters, digits, '-' and '_' (at least 2 characters), e.g. before-upgrade"),
);

export const tag = v.pipe(
  v.string("tag must be a string"),
  v.maxLength(128, "tag is at most 128 characters"),
  v.regex(TAG_RE, "tag must be a PVE tag: letters, digits, '_', '-', '+', '.'"),
);

export const volid = v.pipe(
  v.string("volid must be a string"),
  v.maxLength(255, "volid is at most 255 characters"),
  v.regex(VOLID_RE, "volid must look like storage:content/name, e.g. local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst"),
  v.check((s) => !s.split("/").includes(".."), "volid must not contain '..'"),
);

/**
 * An ISO image volume, as a drive's file: a volid without the separators of the drive's
 * property string (',' '=' ';'), which would add drive options, and in the iso content.
 */
export const isoVolid = v.pipe(
  volid,
  v.regex(/^[^,=;]+$/, "iso must not contain ',', '=' or ';': they would add options to the VM's drive (e.g. local:iso/x.iso,media=disk)"),
  v.regex(/^[^:]+:iso\//, "iso must be an ISO image volume, storage:iso/name.iso, e.g. local:iso/debian-12.iso"),
);

export const guestType = v.picklist(["qemu", "lxc"], "type must be 'qemu' (VM) or 'lxc' (container)");
export type GuestType = v.InferOutput<typeof guestType>;

export const limit = (defaultValue: number, max: number) =>
  v.optional(
    v.pipe(
      v.number("limit must be a number"),
      v.integer("limit must be a whole number"),
      v.minValue(1, "limit must be at least 1"),
      v.maxValue(max, `limit must be at most ${max}`),
      v.description(`How many to return (default ${defaultValue}, max ${max}).`),
    ),
    defaultValue,
  );

export const nameFilter = v.optional(
  v.pipe(v.string(), v.maxLength(128, "name filter is at most 128 characters"), v.description("Case-insensitive substring of the name.")),
);

export interface ParsedUpid {
  node: string;
  type: string;
  id: string;
  user: string;
  starttime: number;
}

export function parseUpid(value: string): ParsedUpid | undefined {
  const m = UPID_RE.exec(value);
  if (!m) return undefined;
  return { node: m[1]!, starttime: Number.parseInt(m[5]!, 16), type: m[6]!, id: m[7]!, user: m[8]! };
}
