#!/usr/bin/env node
// npx / npm launcher for proxmox-mcp. The real program is a native binary shipped in one npm
// package per platform, listed here as optionalDependencies with os/cpu/libc fields so npm
// installs only the one that fits. The binary is looked up at run time, not by a postinstall
// script: npm 11 does not run install scripts by default, npx included.
// Plain CommonJS with no dependencies so any Node that npm supports can run it.
"use strict";

const { spawn } = require("node:child_process");
const pkg = require("../package.json");

const EXE = process.platform === "win32" ? "proxmox-mcp.exe" : "proxmox-mcp";

function isMusl() {
  if (process.platform !== "linux") return false;
  try {
    // glibc reports its version here; musl (Alpine) does not.
    const report = process.report && process.report.getReport();
    const header = report && (typeof report === "string" ? JSON.parse(report) : report).header;
    return !(header && header.glibcVersionRuntime);
  } catch (_) {
    return false;
  }
}

/** Platform package suffixes to try, best match first: linux-x64, linux-x64-musl, darwin-arm64, win32-x64, … */
function candidates() {
  const base = `${process.platform}-${process.arch}`;
  if (process.platform !== "linux") return [base];
  return isMusl() ? [`${base}-musl`, base] : [base, `${base}-musl`];
}

function findBinary() {
  for (const suffix of candidates()) {
    try {
      return require.resolve(`${pkg.name}-${suffix}/bin/${EXE}`);
    } catch (_) {
      // not installed: try the next candidate
    }
  }
  return undefined;
}

function published() {
  const prefix = `${pkg.name}-`;
  return Object.keys(pkg.optionalDependencies || {})
    .filter((name) => name.startsWith(prefix))
    .map((name) => name.slice(prefix.length));
}

const binary = findBinary();
if (!binary) {
  const wanted = candidates()[0];
  const available = published();
  const lines = [
    `proxmox-mcp: no binary for this platform (${wanted}).`,
    `Platforms published on npm: ${available.join(", ") || "none"}.`,
    available.includes(wanted)
      ? `Your platform is published, so npm skipped the optional dependency ${pkg.name}-${wanted}: reinstall without --omit=optional / --no-optional.`
      : "Your platform has no npm package: build from source with Bun (bun run build).",
  ];
  if (pkg.homepage) lines.push(`Release downloads and instructions: ${pkg.homepage}`);
  process.stderr.write(`${lines.join("\n")}\n`);
  process.exit(1);
}

// stdio is inherited: the agent speaks MCP straight to the binary, this process only waits.
const child = spawn(binary, process.argv.slice(2), { stdio: "inherit", windowsHide: true });

const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"];
const forwarders = {};
for (const signal of SIGNALS) {
  forwarders[signal] = () => {
    // The agent stopping us must stop the server too, or it would linger as an orphan.
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  };
  process.on(signal, forwarders[signal]);
}

child.on("error", (error) => {
  process.stderr.write(`proxmox-mcp: cannot start ${binary}: ${error.message}\n`);
  process.exit(1);
});

child.on("exit", (code, signal) => {
  if (signal) {
    // Die of the same signal, so whoever started us sees how the server ended.
    for (const s of SIGNALS) process.removeListener(s, forwarders[s]);
    process.kill(process.pid, signal);
    return;
  }
  process.exit(code === null ? 1 : code);
});
