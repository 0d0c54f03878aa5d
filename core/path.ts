/**
 * File paths as `node:path` handles them (`join`, `resolve`, `dirname`,
 * `isAbsolute`), without importing it: importing any `node:` module builds
 * Deno's Node compatibility layer, some 4 MB of an idle server's RSS (see
 * `node_builtin.ts`). POSIX paths are handled here with Node's own
 * normalization; on Windows these call `node:path` itself.
 *
 * @example
 * ```ts
 * import { join, resolve } from "./path.ts";
 * console.log(join("/var/lib/redis/", "../dump.rdb")); // "/var/lib/dump.rdb"
 * console.log(resolve("/etc", "redis", "./redis.conf")); // "/etc/redis/redis.conf"
 * ```
 *
 * @module
 */

import { nodeBuiltin } from "./node_builtin.ts";

type NodePath = typeof import("node:path");

const WINDOWS = Deno.build.os === "windows";

function win(): NodePath {
  return nodeBuiltin<NodePath>("node:path");
}

/** Resolves `.` and `..` segments and repeated slashes (Node's `normalizeString`). */
function normalizeString(path: string, allowAboveRoot: boolean): string {
  let res = "";
  let lastSegmentLength = 0;
  let lastSlash = -1;
  let dots = 0;
  let code = 0;
  for (let i = 0; i <= path.length; ++i) {
    if (i < path.length) code = path.charCodeAt(i);
    else if (code === 47) break;
    else code = 47;
    if (code === 47) {
      if (lastSlash === i - 1 || dots === 1) {
        // An empty or "." segment: nothing to add.
      } else if (dots === 2) {
        if (
          res.length < 2 || lastSegmentLength !== 2 ||
          res.charCodeAt(res.length - 1) !== 46 || res.charCodeAt(res.length - 2) !== 46
        ) {
          if (res.length > 2) {
            const lastSlashIndex = res.lastIndexOf("/");
            if (lastSlashIndex === -1) {
              res = "";
              lastSegmentLength = 0;
            } else {
              res = res.slice(0, lastSlashIndex);
              lastSegmentLength = res.length - 1 - res.lastIndexOf("/");
            }
            lastSlash = i;
            dots = 0;
            continue;
          } else if (res.length !== 0) {
            res = "";
            lastSegmentLength = 0;
            lastSlash = i;
            dots = 0;
            continue;
          }
        }
        if (allowAboveRoot) {
          res += res.length > 0 ? "/.." : "..";
          lastSegmentLength = 2;
        }
      } else {
        if (res.length > 0) res += "/" + path.slice(lastSlash + 1, i);
        else res = path.slice(lastSlash + 1, i);
        lastSegmentLength = i - lastSlash - 1;
      }
      lastSlash = i;
      dots = 0;
    } else if (code === 46 && dots !== -1) {
      ++dots;
    } else {
      dots = -1;
    }
  }
  return res;
}

/** Normalizes a path as `path.normalize` does. */
function normalize(path: string): string {
  if (path.length === 0) return ".";
  const absolute = path.charCodeAt(0) === 47;
  const trailing = path.charCodeAt(path.length - 1) === 47;
  let out = normalizeString(path, !absolute);
  if (out.length === 0) {
    if (absolute) return "/";
    return trailing ? "./" : ".";
  }
  if (trailing) out += "/";
  return absolute ? "/" + out : out;
}

/** Whether `path` is absolute (`path.isAbsolute`). */
export function isAbsolute(path: string): boolean {
  if (WINDOWS) return win().isAbsolute(path);
  return path.length > 0 && path.charCodeAt(0) === 47;
}

/** The parts joined with the separator, then normalized (`path.join`). */
export function join(...parts: string[]): string {
  if (WINDOWS) return win().join(...parts);
  const joined = parts.filter((p) => p.length > 0).join("/");
  return joined.length === 0 ? "." : normalize(joined);
}

/**
 * The absolute path the parts lead to, from right to left up to the first
 * absolute one, else from the working directory (`path.resolve`).
 */
export function resolve(...parts: string[]): string {
  if (WINDOWS) return win().resolve(...parts);
  let resolved = "";
  let absolute = false;
  for (let i = parts.length - 1; i >= -1 && !absolute; i--) {
    const p = i >= 0 ? parts[i]! : Deno.cwd();
    if (p.length === 0) continue;
    resolved = `${p}/${resolved}`;
    absolute = p.charCodeAt(0) === 47;
  }
  resolved = normalizeString(resolved, !absolute);
  if (absolute) return `/${resolved}`;
  return resolved.length > 0 ? resolved : ".";
}

/** The directory part of `path` (`path.dirname`). */
export function dirname(path: string): string {
  if (WINDOWS) return win().dirname(path);
  if (path.length === 0) return ".";
  const hasRoot = path.charCodeAt(0) === 47;
  let end = -1;
  let matchedSlash = true;
  for (let i = path.length - 1; i >= 1; --i) {
    if (path.charCodeAt(i) === 47) {
      if (!matchedSlash) {
        end = i;
        break;
      }
    } else {
      matchedSlash = false;
    }
  }
  if (end === -1) return hasRoot ? "/" : ".";
  if (hasRoot && end === 1) return "//";
  return path.slice(0, end);
}
