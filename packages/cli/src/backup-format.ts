/**
 * The backup file `edge-isr export` writes and `edge-isr import` reads: JSON
 * lines, one key each, `{"key","value":<base64>,"metadata","expiration","sha256"}`.
 * `sha256` covers the whole record (key, metadata, expiration and the value's
 * bytes), so a flipped byte anywhere is caught before anything is written; an
 * edge-isr entry is also checked against its own content hash (metadata `h`)
 * and the CRC-32 of each part, as the handler checks them before serving.
 */
import { createHash } from "node:crypto";
import { decodeEntry, ENTRY_PREFIX, HASHED_PREFIX, KVLimits, kvKeyFor, parseMetadata } from "@edge-isr/kv-cache-handler";
import { BUILD_POINTER_KEY, parsePointer } from "@edge-isr/runtime";
import { CliError } from "./errors.js";
import { buildIdOf } from "./commands/builds.js";

/** One line of a backup file. */
export interface BackupLine {
  key: string;
  value: string;
  metadata: unknown;
  expiration: number | null;
  /** Hex SHA-256 of the record (see `recordHash`); absent in files written before it existed. */
  sha256?: string;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const HEX64 = /^[0-9a-f]{64}$/;

/** The hash a line carries: key, metadata and expiration as JSON, then the value's bytes. */
export function recordHash(key: string, metadata: unknown, expiration: number | null, value: Uint8Array): string {
  return createHash("sha256")
    .update(JSON.stringify([key, metadata ?? null, expiration ?? null]))
    .update("\n")
    .update(value)
    .digest("hex");
}

/** What checking a line found. */
export interface CheckedLine {
  line: BackupLine;
  bytes: Uint8Array;
  /** The build an edge-isr page entry belongs to. */
  build?: string;
  /** The entry fails its own format checks although the line is intact: it was already corrupt where it was exported. */
  corruptAtSource?: string;
  /** Whether the line carried a record hash. */
  hashed: boolean;
}

/** Why an edge-isr entry does not check out (content hash, size, key, parts' CRC-32), or undefined when it does. */
async function entryProblem(kvKey: string, bytes: Uint8Array, metadata: unknown): Promise<{ problem?: string; build?: string }> {
  const md = parseMetadata(metadata);
  if (!md || !(kvKey.startsWith(ENTRY_PREFIX) || kvKey.startsWith(HASHED_PREFIX))) return {};
  if (md.z !== bytes.byteLength) return { problem: `it is ${bytes.byteLength} bytes, its metadata says ${md.z}` };
  if (md.h !== undefined && createHash("sha256").update(bytes).digest("base64url").slice(0, md.h.length) !== md.h)
    return { problem: "its bytes do not match its content hash (metadata h)" };
  try {
    const entry = await decodeEntry(bytes as Uint8Array<ArrayBuffer>); // every part's CRC-32 (or gzip trailer) checked
    if ((await kvKeyFor("", entry.key)) !== kvKey)
      return { problem: `it holds the entry of ${JSON.stringify(entry.key.slice(0, 80))}, stored under another key` };
    return { build: buildIdOf(entry.key) };
  } catch (error) {
    return { problem: (error as Error).message };
  }
}

/** Checks one line of `file`; throws a CliError naming the line when the file is damaged or not a backup. */
export async function checkLine(file: string, n: number, text: string): Promise<CheckedLine> {
  const bad = (what: string) =>
    new CliError(
      "ERR_IMPORT_FILE",
      `${file} line ${n}: ${what}`,
      'import reads files written by `edge-isr export`: one JSON object per line with "key", "value" (base64), "metadata" and "expiration". Fix or remove that line; nothing was written.',
    );
  let line: Partial<BackupLine>;
  try {
    line = JSON.parse(text) as Partial<BackupLine>;
  } catch (error) {
    throw bad(`not JSON (${(error as Error).message})`);
  }
  if (typeof line !== "object" || line === null || Array.isArray(line)) throw bad("not a JSON object");
  if (typeof line.key !== "string" || line.key.length === 0) throw bad('"key" must be a non-empty string');
  const keyBytes = Buffer.byteLength(line.key, "utf8");
  if (keyBytes > KVLimits.maxKeyBytes)
    throw bad(`key ${JSON.stringify(line.key.slice(0, 60))}… is ${keyBytes} bytes, over KV's limit of ${KVLimits.maxKeyBytes}`);
  const key = JSON.stringify(line.key.slice(0, 120));
  if (typeof line.value !== "string" || line.value.length % 4 !== 0 || !BASE64.test(line.value))
    throw bad(`"value" of ${key} is not base64`);
  const size = (line.value.length / 4) * 3 - (line.value.endsWith("==") ? 2 : line.value.endsWith("=") ? 1 : 0);
  if (size > KVLimits.maxValueBytes) {
    throw new CliError(
      "ERR_VALUE_TOO_LARGE",
      `${file} line ${n}: the value of ${key} is ${size} bytes, over KV's limit of ${KVLimits.maxValueBytes} bytes (25 MiB)`,
      "KV cannot store it; remove that line (or the entry it came from) and import again. Nothing was written.",
    );
  }
  const metadata = line.metadata ?? null;
  if (metadata !== null) {
    const mdBytes = Buffer.byteLength(JSON.stringify(metadata), "utf8");
    if (mdBytes > KVLimits.maxMetadataBytes)
      throw bad(`the metadata of ${key} is ${mdBytes} bytes, over KV's limit of ${KVLimits.maxMetadataBytes}`);
  }
  const expiration = line.expiration ?? null;
  if (expiration !== null && !(typeof expiration === "number" && Number.isInteger(expiration) && expiration > 0))
    throw bad(`"expiration" of ${key} must be seconds since the epoch or null`);
  if (line.sha256 !== undefined && (typeof line.sha256 !== "string" || !HEX64.test(line.sha256)))
    throw bad(`"sha256" of ${key} must be 64 hex digits`);

  const bytes = new Uint8Array(Buffer.from(line.value, "base64"));
  const checked: CheckedLine = {
    line: { key: line.key, value: line.value, metadata, expiration, ...(line.sha256 ? { sha256: line.sha256 } : {}) },
    bytes,
    hashed: line.sha256 !== undefined,
  };
  if (line.sha256 !== undefined && recordHash(line.key, metadata, expiration, bytes) !== line.sha256) {
    throw new CliError(
      "ERR_CHECKSUM",
      `${file} line ${n}: the record of ${key} does not match its sha256: the file was damaged after it was exported`,
      "restore the file from an intact copy (or export again); nothing was written.",
    );
  }
  if (line.key === BUILD_POINTER_KEY) {
    let pointer: unknown;
    try {
      pointer = parsePointer(JSON.parse(Buffer.from(bytes).toString("utf8")));
    } catch {
      pointer = undefined;
    }
    if (!pointer) throw bad(`the build pointer ${key} is not a pointer ({"current", "previous", "promotedAt"})`);
    return checked;
  }
  const { problem, build } = await entryProblem(line.key, bytes, metadata);
  if (problem && !checked.hashed) {
    throw new CliError(
      "ERR_CHECKSUM",
      `${file} line ${n}: the entry ${key} does not check out: ${problem}`,
      "the file (written before export added checksums) was damaged, or the entry was already corrupt: restore the file from an intact copy or export again; nothing was written.",
    );
  }
  if (problem) checked.corruptAtSource = problem;
  if (build !== undefined) checked.build = build;
  return checked;
}
