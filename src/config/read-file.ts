// Files named in the configuration (the token secret, a CA, PROXMOX_CONFIG) are read at
// start-up. Only a regular file of bounded size is read: a device (/dev/zero), a FIFO or a
// directory would otherwise hang start-up or fill memory, and a 50 MB "secret" would be sent
// as a 50 MB header.
import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";

export const SECRET_FILE_MAX_BYTES = 4 * 1024;
export const CA_FILE_MAX_BYTES = 1024 * 1024;
export const CONFIG_FILE_MAX_BYTES = 1024 * 1024;

export type FileRead = { text: string } | { problem: string };

/**
 * Reads `path` as UTF-8 if it is a regular file of at most `maxBytes`; otherwise a problem
 * text that starts with `label` and says what is wrong. `label` names the variable and may
 * show the path; the caller decides whether the path is safe to show.
 */
export function readBoundedFile(path: string, label: string, maxBytes: number): FileRead {
  let fd: number;
  try {
    // Security: O_NONBLOCK so opening a FIFO returns at once instead of waiting for a writer.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === "ENOENT") return { problem: `${label} does not exist` };
    if (code === "EACCES" || code === "EPERM") return { problem: `${label} cannot be read by this user (permission denied)` };
    if (code === "EISDIR") return { problem: `${label} is a directory, not a file` };
    return { problem: `${label} cannot be opened (${code ?? "error"})` };
  }
  try {
    // Checked on the opened file, so a swap after the check changes nothing.
    const stat = fstatSync(fd);
    if (stat.isDirectory()) return { problem: `${label} is a directory, not a file` };
    if (!stat.isFile()) return { problem: `${label} is not a regular file (a device, FIFO or socket); give the path of an ordinary file` };
    if (stat.size > maxBytes) return { problem: `${label} is ${stat.size} bytes, more than the ${maxBytes} bytes such a file can hold; is it the right file?` };
    // Read one byte more than allowed: a file that grows while being read is still bounded.
    const buffer = Buffer.alloc(maxBytes + 1);
    let length = 0;
    while (length < buffer.length) {
      const n = readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
    }
    if (length > maxBytes) return { problem: `${label} is more than the ${maxBytes} bytes such a file can hold; is it the right file?` };
    return { text: buffer.subarray(0, length).toString("utf8") };
  } catch (error) {
    return { problem: `${label} cannot be read (${(error as { code?: string }).code ?? "error"})` };
  } finally {
    closeSync(fd);
  }
}
