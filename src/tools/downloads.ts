// proxmox_download_to_storage: an ISO, a container template or a cloud image onto a
// storage, from the appliance catalogue (POST aplinfo) or from an https URL (download-url).
// The node does the fetching, so the URL is checked here first: https only, certificate
// verification on, and no loopback, link-local or private target (see security/ssrf.ts).
import * as v from "valibot";
import { pveText } from "../format/text.ts";
import { InputError, RefusedError } from "../errors.ts";
import * as f from "../pve/formats.ts";
import { listResources } from "../pve/resources.ts";
import { checkPublicHost } from "../security/ssrf.ts";
import { checkNodeOnline } from "./provision.ts";
import { defineTool } from "./types.ts";
import { approveAndSend, checkNodePolicy, finishTask, notNeeded, TaskOutput, WRITE_HINTS, waitFields } from "./writes.ts";

// pve-storage's rules for each content type (ISO_EXT_RE_0, VZTMPL_EXT_RE_1, UPLOAD_IMPORT_EXT_RE_1, SAFE_CHAR_CLASS_RE).
const EXTENSIONS: Record<"iso" | "vztmpl" | "import", { re: RegExp; say: string }> = {
  iso: { re: /\.(iso|img)$/i, say: ".iso or .img" },
  vztmpl: { re: /\.(tar|tar\.(gz|xz|zst|bz2))$/i, say: ".tar, .tar.gz, .tar.xz, .tar.zst or .tar.bz2" },
  import: { re: /\.(ova|qcow2|raw|vmdk)$/, say: ".qcow2, .raw, .vmdk or .ova (a cloud image .img is usually qcow2: name it .qcow2)" },
};
const FILENAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9\-.+=_]{0,254}$/;
const HEX_LENGTH: Record<string, number> = { md5: 32, sha1: 40, sha224: 56, sha256: 64, sha384: 96, sha512: 128 };
const CHECKSUM_RE = /^(md5|sha1|sha224|sha256|sha384|sha512):([0-9a-fA-F]+)$/;
const TEMPLATE_RE = /^[a-zA-Z0-9][a-zA-Z0-9\-.+_]{0,254}$/;

const urlInput = v.pipe(
  v.string("url must be a string"),
  v.maxLength(2048, "url is at most 2048 characters"),
  v.regex(/^[\x21-\x7e]+$/, "url must be printable ASCII without spaces (percent-encode the rest)"),
  v.description("https:// URL the node downloads from."),
);

interface AplEntry {
  template: string;
  package?: string;
  version?: string;
  headline?: string;
}

export const downloadToStorage = defineTool({
  name: "proxmox_download_to_storage",
  title: "Download onto a storage",
  description:
    "Put an ISO, container template or cloud image onto a storage: a catalogue template (proxmox_list_templates catalogue: true) or an https url with content and optional checksum. Private and loopback URLs are refused.",
  tier: 2,
  toolset: "provision",
  annotations: { ...WRITE_HINTS, idempotentHint: true },
  input: v.strictObject({
    node: v.pipe(f.node, v.description("Node that downloads.")),
    storage: v.pipe(f.storage, v.description("Storage to put it on, e.g. local.")),
    template: v.optional(v.pipe(v.string(), v.maxLength(255), v.regex(TEMPLATE_RE, "template must be a catalogue file name such as debian-12-standard_12.12-1_amd64.tar.zst"), v.description("Catalogue template (instead of url)."))),
    url: v.optional(urlInput),
    content: v.optional(v.pipe(v.picklist(["iso", "vztmpl", "import"], "content must be iso, vztmpl or import (cloud images for import-from)"), v.description("With url; import = disk image for create_vm import_from."))),
    filename: v.optional(v.pipe(v.string(), v.maxLength(255), v.regex(FILENAME_RE, "filename may hold letters, digits and - . + = _ only, e.g. noble-server-cloudimg-amd64.qcow2"), v.description("Name on the storage (default: from the URL)."))),
    checksum: v.optional(v.pipe(v.string(), v.maxLength(140), v.description("ALGO:HEX, e.g. sha256:9f86…; PVE verifies it."))),
    ...waitFields(true),
  }),
  output: v.object({ ...TaskOutput.entries, volid: v.string() }),
  async handler(args, ctx) {
    checkNodePolicy(ctx, args.node);
    if (args.template && args.url) throw new InputError("Give either template (catalogue) or url, not both.");
    if (!args.template && !args.url) throw new InputError("Say what to download: template (from the catalogue) or url (with content).", 'e.g. {"url": "https://cloud-images.ubuntu.com/noble/current/noble-server-cloudimg-amd64.img", "content": "import", "filename": "noble-server-cloudimg-amd64.qcow2"}');

    let params: Record<string, string | number | boolean | undefined>;
    let segments: readonly string[];
    let volid: string;
    let content: "iso" | "vztmpl" | "import";
    let details: string[];
    if (args.template) {
      if (args.content && args.content !== "vztmpl") throw new InputError("Catalogue templates are container templates (content vztmpl).");
      for (const key of ["filename", "checksum"] as const) if (args[key]) throw new InputError(`${key} goes with url; a catalogue template has its own name and checksum.`);
      content = "vztmpl";
      await checkNodeOnline(ctx.pve, args.node, ctx.signal);
      const catalogue = (await ctx.pve.get<AplEntry[] | null>(["nodes", args.node, "aplinfo"], {}, { signal: ctx.signal })) ?? [];
      const entry = catalogue.find((a) => a.template === args.template);
      if (!entry) {
        const word = args.template.split(/[-_]/)[0]?.toLowerCase() ?? "";
        const near = catalogue.filter((a) => a.template.toLowerCase().includes(word)).slice(0, 5).map((a) => a.template);
        throw new InputError(`${args.template} is not in the appliance catalogue of ${args.node}.`, near.length ? `Close matches: ${near.join(", ")}.` : "List it with proxmox_list_templates {\"catalogue\": true}.");
      }
      volid = `${args.storage}:vztmpl/${args.template}`;
      segments = ["nodes", args.node, "aplinfo"];
      params = { storage: args.storage, template: args.template };
      details = [`catalogue template ${args.template}${entry.headline ? ` (${pveText(entry.headline, 120)})` : ""}`];
    } else {
      const url = parseUrl(args.url as string);
      if (!args.content) throw new InputError("content is required with url: iso, vztmpl, or import (a disk image for import_from).");
      content = args.content;
      const filename = args.filename ?? decodeURIComponent(url.pathname.split("/").pop() ?? "");
      if (!FILENAME_RE.test(filename)) throw new InputError(`The URL's file name ${JSON.stringify(filename.slice(0, 80))} cannot be a volume name; give filename.`, "filename may hold letters, digits and - . + = _ only.");
      const rule = EXTENSIONS[content];
      if (!rule.re.test(filename)) throw new InputError(`filename ${filename} does not fit content ${content}: it must end in ${rule.say}.`, "Pass filename with the right extension.");
      let checksum: { algorithm: string; hex: string } | undefined;
      if (args.checksum !== undefined) {
        const m = CHECKSUM_RE.exec(args.checksum.trim());
        if (!m) throw new InputError(`checksum must be ALGO:HEX with ALGO one of ${Object.keys(HEX_LENGTH).join(", ")}, e.g. sha256:<64 hex digits>.`);
        const [, algorithm, hex] = m as unknown as [string, string, string];
        if (hex.length !== HEX_LENGTH[algorithm]) throw new InputError(`checksum: a ${algorithm} is ${HEX_LENGTH[algorithm]} hex digits; got ${hex.length}.`, `Give ${algorithm}:<${HEX_LENGTH[algorithm]} hex digits>.`);
        checksum = { algorithm, hex: hex.toLowerCase() };
      }
      // Security: the node will fetch this from inside the admin's network (SSRF).
      if (!ctx.config.downloadAllowPrivate) {
        const problem = await checkPublicHost(url.hostname);
        if (problem) {
          throw new RefusedError(`Refused: ${problem}. The Proxmox node would fetch it from inside your network, so private, loopback and link-local targets are refused.`, "Use a public https URL, or the admin may allow private sources with PROXMOX_DOWNLOAD_ALLOW_PRIVATE=1 in the server's environment.");
        }
      }
      await checkNodeOnline(ctx.pve, args.node, ctx.signal);
      volid = `${args.storage}:${content}/${filename}`;
      segments = ["nodes", args.node, "storage", args.storage, "download-url"];
      params = { url: url.href, filename, content, checksum: checksum?.hex, "checksum-algorithm": checksum?.algorithm, "verify-certificates": true };
      details = [`from ${url.href}`, `as ${volid}`, checksum ? `checksum ${checksum.algorithm} verified by PVE` : "no checksum given: the file is not verified", "certificate verification: on"];
    }

    const storages = (await listResources(ctx.pve, "storage", ctx.signal)).filter((s) => s.storage === args.storage && s.node === args.node);
    if (storages.length === 0) throw new InputError(`Node ${args.node} has no storage ${args.storage}.`, "List storages with proxmox_list_storage.");
    const kinds = (storages[0]?.content ?? "").split(",");
    if (!kinds.includes(content)) throw new InputError(`Storage ${args.storage} does not hold ${content} content (it holds ${kinds.join(", ") || "nothing listed"}).`, `Pick a storage whose content includes ${content}, e.g. local.`);
    const existing = (await ctx.pve.get<{ volid: string }[] | null>(["nodes", args.node, "storage", args.storage, "content"], { content }, { signal: ctx.signal })) ?? [];
    if (existing.some((e) => e.volid === volid)) {
      const skip = notNeeded(args.node, 0, `${volid} is already on ${args.storage}; nothing was downloaded.`);
      return { text: skip.text, data: { ...skip.data, vmid: null, volid } };
    }
    const upid = await approveAndSend<string>(ctx, { action: `Download ${volid} on ${args.node}`, target: { node: args.node }, details }, { method: "POST", segments, params });
    const result = await finishTask(ctx, `Download of ${volid} on ${args.node}`, upid, args.node, null, args);
    return { text: result.text, data: { ...result.data, volid } };
  },
});

function parseUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new InputError("url is not a URL.", "Give an https:// URL, e.g. https://cloud-images.ubuntu.com/noble/current/noble-server-cloudimg-amd64.img");
  }
  if (url.protocol !== "https:") throw new InputError(`url must use https:// (got ${url.protocol.replace(":", "")}); plain http can be tampered with on the way.`, "Use the https:// address of the file.");
  // Security: credentials in a URL would be stored in the task log and sent on by the node.
  if (url.username || url.password) throw new InputError("url must not carry a user name or password.", "Use a URL that needs no credentials.");
  return url;
}
