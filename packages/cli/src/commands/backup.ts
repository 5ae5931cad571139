/**
 * `edge-isr export | import`: the whole namespace as JSON lines, one key per
 * line: `{"key","value":<base64>,"metadata","expiration"}`. Values are raw
 * bytes everywhere else; base64 exists only in the file.
 *
 * Import checks every line before writing anything, so a bad file leaves KV
 * as it was; writing the same entries twice gives the same state.
 */
import { createReadStream, existsSync, statSync } from "node:fs";
import { open, type FileHandle } from "node:fs/promises";
import { createInterface } from "node:readline";
import { KVLimits } from "@edge-isr/kv-cache-handler";
import { CliError } from "../errors.js";
import type { KVEntry, KVListed, KVTarget } from "../kv/target.js";
import { formatBytes, progressBar } from "./builds.js";

/** One line of a backup file. */
export interface BackupLine {
  key: string;
  value: string;
  metadata: unknown;
  expiration: number | null;
}

/** Keys read at once while exporting. */
const EXPORT_CONCURRENCY = 8;
/** Entries handed to `putMany` at once while importing (bounded in count and bytes to keep memory flat). */
const IMPORT_BATCH_ENTRIES = 1000;
const IMPORT_BATCH_BYTES = 64 * 1024 * 1024;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Writes every key of the target to `file`; returns how many. */
export async function exportTo(target: KVTarget, file: string): Promise<number> {
  const listed: KVListed[] = [];
  for await (const key of target.list("")) listed.push(key);

  const fileError = (error: unknown) =>
    new CliError("ERR_EXPORT_FILE", `could not write ${file}: ${(error as Error)?.message ?? error}`, "check that the directory exists and is writable and that the disk has room, then export again.");
  let out: FileHandle;
  try {
    out = await open(file, "w");
  } catch (error) {
    throw fileError(error);
  }
  let count = 0;
  let bytes = 0;
  const bar = progressBar(listed.length, "exporting");
  try {
    for (let i = 0; i < listed.length; i += EXPORT_CONCURRENCY) {
      const chunk = listed.slice(i, i + EXPORT_CONCURRENCY);
      const values = await Promise.all(chunk.map((k) => target.get(k.name)));
      let text = "";
      chunk.forEach((k, j) => {
        const hit = values[j];
        if (!hit) return; // expired or deleted since it was listed
        const line: BackupLine = {
          key: k.name,
          value: Buffer.from(hit.value.buffer, hit.value.byteOffset, hit.value.byteLength).toString("base64"),
          metadata: hit.metadata ?? k.metadata ?? null,
          expiration: k.expiration ?? null,
        };
        text += `${JSON.stringify(line)}\n`;
        count++;
        bytes += hit.value.byteLength;
      });
      if (text) await out.write(text).catch((error: unknown) => Promise.reject(fileError(error)));
      bar.update(Math.min(i + EXPORT_CONCURRENCY, listed.length));
    }
  } finally {
    bar.stop();
    await out.close();
  }
  console.log(`exported ${count} keys (${formatBytes(bytes)} of values) from ${target.description} to ${file}`);
  return count;
}

/** Reads `file` line by line (1-based numbers), skipping blank lines. */
async function* lines(file: string): AsyncGenerator<{ n: number; text: string }> {
  const rl = createInterface({ input: createReadStream(file, { encoding: "utf8" }), crlfDelay: Infinity });
  let n = 0;
  for await (const text of rl) {
    n++;
    if (text.trim()) yield { n, text };
  }
}

const base64Length = (b64: string) => (b64.length / 4) * 3 - (b64.endsWith("==") ? 2 : b64.endsWith("=") ? 1 : 0);

/** Checks one line; returns the entry's decoded size. Throws a CliError naming the line. */
function validate(file: string, n: number, text: string): number {
  const bad = (what: string) =>
    new CliError("ERR_IMPORT_FILE", `${file} line ${n}: ${what}`, "import reads files written by `edge-isr export`: one JSON object per line with \"key\", \"value\" (base64), \"metadata\" and \"expiration\". Fix or remove that line; nothing was written.");
  let line: Partial<BackupLine>;
  try {
    line = JSON.parse(text) as Partial<BackupLine>;
  } catch (error) {
    throw bad(`not JSON (${(error as Error).message})`);
  }
  if (typeof line !== "object" || line === null || Array.isArray(line)) throw bad("not a JSON object");
  if (typeof line.key !== "string" || line.key.length === 0) throw bad("\"key\" must be a non-empty string");
  const keyBytes = Buffer.byteLength(line.key, "utf8");
  if (keyBytes > KVLimits.maxKeyBytes) throw bad(`key ${JSON.stringify(line.key.slice(0, 60))}… is ${keyBytes} bytes, over KV's limit of ${KVLimits.maxKeyBytes}`);
  if (typeof line.value !== "string" || line.value.length % 4 !== 0 || !BASE64.test(line.value)) throw bad(`"value" of ${JSON.stringify(line.key)} is not base64`);
  const size = base64Length(line.value);
  if (size > KVLimits.maxValueBytes) {
    throw new CliError(
      "ERR_VALUE_TOO_LARGE",
      `${file} line ${n}: the value of ${JSON.stringify(line.key)} is ${size} bytes, over KV's limit of ${KVLimits.maxValueBytes} bytes (25 MiB)`,
      "KV cannot store it; remove that line (or the entry it came from) and import again. Nothing was written.",
    );
  }
  if (line.metadata !== undefined && line.metadata !== null) {
    const mdBytes = Buffer.byteLength(JSON.stringify(line.metadata), "utf8");
    if (mdBytes > KVLimits.maxMetadataBytes) throw bad(`the metadata of ${JSON.stringify(line.key)} is ${mdBytes} bytes, over KV's limit of ${KVLimits.maxMetadataBytes}`);
  }
  if (line.expiration !== undefined && line.expiration !== null && !(typeof line.expiration === "number" && Number.isInteger(line.expiration) && line.expiration > 0)) {
    throw bad(`"expiration" of ${JSON.stringify(line.key)} must be seconds since the epoch or null`);
  }
  return size;
}

/** The entry a validated line stores, or undefined when it has already expired. */
function toEntry(line: BackupLine, nowSeconds: number): KVEntry | undefined {
  const entry: KVEntry = { key: line.key, value: new Uint8Array(Buffer.from(line.value, "base64")) };
  if (line.metadata !== undefined && line.metadata !== null) entry.metadata = line.metadata;
  if (line.expiration) {
    if (line.expiration <= nowSeconds) return undefined;
    // KV refuses expirations less than a minute ahead; such an entry lives that minute.
    entry.expiration = Math.max(line.expiration, nowSeconds + KVLimits.minExpirationTtl);
  }
  return entry;
}

/** Restores a file written by `exportTo`; returns how many keys were written. */
export async function importFrom(target: KVTarget, file: string): Promise<number> {
  if (!existsSync(file) || !statSync(file).isFile()) {
    throw new CliError("ERR_IMPORT_FILE", `${file} does not exist or is not a file`, "pass the path of a file written by `edge-isr export <file>`.");
  }
  // Pass 1: check every line; nothing is written unless all of them are good.
  let total = 0;
  let bytes = 0;
  /** The last line of each key: a key repeated in the file is written once, with its last value. */
  const lastLine = new Map<string, number>();
  for await (const { n, text } of lines(file)) {
    bytes += validate(file, n, text);
    total++;
    lastLine.set((JSON.parse(text) as BackupLine).key, n);
  }
  if (total === 0) {
    console.log(`${file} holds no entries; nothing imported`);
    return 0;
  }

  // Pass 2: write, a batch at a time.
  const nowSeconds = Math.floor(Date.now() / 1000);
  const bar = progressBar(total, "importing");
  let written = 0;
  let skipped = 0;
  let batch: KVEntry[] = [];
  let batchBytes = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    const base = written + skipped;
    await target.putMany(batch, (done) => bar.update(base + done));
    written += batch.length;
    batch = [];
    batchBytes = 0;
  };
  try {
    for await (const { n, text } of lines(file)) {
      const line = JSON.parse(text) as BackupLine;
      const entry = lastLine.get(line.key) === n ? toEntry(line, nowSeconds) : undefined;
      if (!entry) {
        skipped++;
        continue;
      }
      batch.push(entry);
      batchBytes += entry.value.byteLength;
      if (batch.length >= IMPORT_BATCH_ENTRIES || batchBytes >= IMPORT_BATCH_BYTES) await flush();
    }
    await flush();
  } finally {
    bar.stop();
  }
  const duplicates = total - lastLine.size;
  const expired = skipped - duplicates;
  console.log(
    `imported ${written} keys (${formatBytes(bytes)} of values) into ${target.description}` +
      (expired ? `; skipped ${expired} already expired` : "") +
      (duplicates ? `; ${duplicates} line(s) repeated a key (the last one wins)` : ""),
  );
  return written;
}
