// "100-199,300" style vmid allowlists.
export type VmidRanges = ReadonlyArray<readonly [number, number]>;

export function parseVmidRanges(text: string): VmidRanges | { problem: string } {
  const ranges: [number, number][] = [];
  for (const part of text.split(",").map((s) => s.trim()).filter(Boolean)) {
    const m = /^(\d{3,9})(?:\s*-\s*(\d{3,9}))?$/.exec(part);
    if (!m) return { problem: `'${part}' is not a vmid or range; write e.g. 100-199,300` };
    const from = Number(m[1]);
    const to = m[2] ? Number(m[2]) : from;
    if (from < 100 || to > 999999999 || from > to) return { problem: `'${part}' is not a valid range of vmids (100–999999999, low-high)` };
    ranges.push([from, to]);
  }
  if (ranges.length === 0) return { problem: "no vmids given; write e.g. 100-199,300" };
  return ranges;
}

export function vmidAllowed(ranges: VmidRanges, vmid: number): boolean {
  return ranges.some(([from, to]) => vmid >= from && vmid <= to);
}

export function formatRanges(ranges: VmidRanges): string {
  return ranges.map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`)).join(",");
}
