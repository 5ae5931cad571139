/**
 * `edge-isr import <file>`: restores a backup written by `edge-isr export`.
 *
 * Pass 1 checks every line (format, KV's limits, each record's sha256 and each
 * entry's own content hash and CRC-32s) and writes nothing unless all are good.
 * Pass 2 writes, a batch at a time, with progress. The build pointer in the
 * file is restored only with `--with-pointer`, and then last, once every entry
 * it may name is written. Writing the same file twice gives the same state, so
 * an interrupted import is finished by running it again.
 */
import { createReadStream, existsSync, statSync } from "node:fs";
import { createInterface } from "node:readline";
import { KVLimits } from "@edge-isr/kv-cache-handler";
import { BUILD_POINTER_KEY, parsePointer } from "@edge-isr/runtime";
import { type BackupLine, type CheckedLine, checkLine } from "../backup-format.js";
import { CliError } from "../errors.js";
import { count, formatBytes, some } from "../format.js";
import type { KVEntry, KVTarget } from "../kv/target.js";
import { stoppedBy } from "../interrupt.js";
import { progress } from "../progress.js";
import { readPointer } from "./builds.js";

/** Entries handed to `putMany` at once (bounded in count and bytes to keep memory flat). */
const IMPORT_BATCH_ENTRIES = 1000;
const IMPORT_BATCH_BYTES = 64 * 1024 * 1024;

export interface ImportOptions {
  /** Also restore the build pointer the file holds (it decides which build is served). */
  withPointer?: boolean;
  signal?: AbortSignal;
  progress?: boolean;
}

export interface ImportResult {
  written: number;
  /** Entries per build, as imported. */
  builds: Record<string, number>;
  /** Whether the file's pointer was written. */
  pointerRestored: boolean;
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

/** The entry a checked line stores, or undefined when it has already expired. */
function toEntry(line: BackupLine, bytes: Uint8Array, nowSeconds: number): KVEntry | undefined {
  const entry: KVEntry = { key: line.key, value: bytes };
  if (line.metadata !== null) entry.metadata = line.metadata;
  if (line.expiration) {
    if (line.expiration <= nowSeconds) return undefined;
    // KV refuses expirations less than a minute ahead; such an entry lives that minute.
    entry.expiration = Math.max(line.expiration, nowSeconds + KVLimits.minExpirationTtl);
  }
  return entry;
}

const interrupted = (what: string, file: string, pointerNote: string) =>
  new CliError(
    "ERR_INTERRUPTED",
    `import interrupted: ${what}${pointerNote}`,
    `import is idempotent: run \`edge-isr import ${file}\` again (with the same flags) to finish — keys already written are written again, unchanged.`,
  );

/** Restores a file written by `exportTo`; returns what was written. */
export async function importFrom(target: KVTarget, file: string, opts: ImportOptions = {}): Promise<ImportResult> {
  if (!existsSync(file) || !statSync(file).isFile()) {
    throw new CliError(
      "ERR_IMPORT_FILE",
      `${file} does not exist or is not a file`,
      "pass the path of a file written by `edge-isr export <file>`.",
    );
  }
  const pointerNote = ", the build pointer was not touched";

  // Pass 1: check every line; nothing is written unless all of them are good.
  let total = 0;
  let bytes = 0;
  let unhashed = 0;
  /** The last line of each key: a key repeated in the file is written once, with its last value. */
  const lastLine = new Map<string, number>();
  /** Keys whose last line holds an entry already corrupt at its source, with why. */
  const corruptAt = new Map<string, string>();
  let filePointer: string | undefined;
  const checking = progress(statSync(file).size, "checking", "bytes", opts.progress);
  let read = 0;
  try {
    for await (const { n, text } of lines(file)) {
      if (opts.signal?.aborted) throw interrupted(`stopped while checking ${file} (line ${n}); nothing was written`, file, pointerNote);
      const checked = await checkLine(file, n, text);
      total++;
      bytes += checked.bytes.byteLength;
      if (!checked.hashed) unhashed++;
      if (checked.corruptAtSource) corruptAt.set(checked.line.key, checked.corruptAtSource);
      else corruptAt.delete(checked.line.key);
      if (checked.line.key === BUILD_POINTER_KEY)
        filePointer = parsePointer(JSON.parse(Buffer.from(checked.bytes).toString("utf8")))!.current;
      lastLine.set(checked.line.key, n);
      checking.update((read += text.length + 1));
    }
  } finally {
    checking.stop();
  }
  if (total === 0) {
    console.log(`${file} holds no entries; nothing imported`);
    return { written: 0, builds: {}, pointerRestored: false };
  }
  const here = await readPointer(target);
  const corrupt = [...corruptAt].map(([key, why]) => `${key.slice(0, 80)} (${why})`);

  // Pass 2: write, a batch at a time; the pointer (if asked for) last.
  const nowSeconds = Math.floor(Date.now() / 1000);
  const writes = lastLine.size - (filePointer === undefined ? 0 : 1) - corrupt.length;
  const bar = progress(writes, "importing", "keys", opts.progress);
  let written = 0;
  let expired = 0;
  let pointerEntry: KVEntry | undefined;
  const builds: Record<string, number> = {};
  let batch: { entry: KVEntry; build: string | undefined }[] = [];
  let batchBytes = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    let done = 0;
    try {
      await target.putMany(
        batch.map((b) => b.entry),
        (d) => bar.update(written + (done = d)),
        opts.signal,
      );
    } finally {
      written += done; // what the target confirmed, even when a Ctrl-C cut the batch short
    }
    // Per-build counts are reported only for a complete import.
    if (done === batch.length) for (const { build } of batch) if (build !== undefined) builds[build] = (builds[build] ?? 0) + 1;
    batch = [];
    batchBytes = 0;
  };
  try {
    for await (const { n, text } of lines(file)) {
      if (opts.signal?.aborted) break;
      const line = JSON.parse(text) as BackupLine;
      if (lastLine.get(line.key) !== n) continue;
      const checked: CheckedLine = await checkLine(file, n, text); // the file could have changed since pass 1
      if (checked.corruptAtSource) continue;
      const entry = toEntry(checked.line, checked.bytes, nowSeconds);
      if (!entry) {
        expired++;
        continue;
      }
      if (entry.key === BUILD_POINTER_KEY) {
        pointerEntry = entry;
        continue;
      }
      batch.push({ entry, build: checked.build });
      batchBytes += entry.value.byteLength;
      if (batch.length >= IMPORT_BATCH_ENTRIES || batchBytes >= IMPORT_BATCH_BYTES) await flush();
    }
    await flush();
  } catch (error) {
    // In a terminal, Ctrl-C also ends the local workerd: the writes under way then fail.
    if (!(await stoppedBy(opts.signal))) throw error;
  } finally {
    bar.stop();
  }
  if (opts.signal?.aborted)
    throw interrupted(`wrote ${count(written)} of ${count(writes)} keys into ${target.description}`, file, pointerNote);

  let pointerRestored = false;
  if (pointerEntry && opts.withPointer) {
    await target.put(pointerEntry);
    pointerRestored = true;
  }

  const perBuild = Object.entries(builds).sort((a, b) => b[1] - a[1]);
  const pageEntries = perBuild.reduce((n, [, c]) => n + c, 0);
  console.log(
    `imported ${count(written + (pointerRestored ? 1 : 0))} keys (${formatBytes(bytes)} of values) into ${target.description}` +
      (perBuild.length
        ? `: ${count(pageEntries)} page entries of ${some(perBuild.map(([id, c]) => `${id} (${c})`))}, ${count(written - pageEntries)} other keys`
        : "") +
      (expired ? `; skipped ${expired} already expired` : "") +
      (total > lastLine.size ? `; ${total - lastLine.size} line(s) repeated a key (the last one wins)` : ""),
  );
  console.log(
    unhashed
      ? `checked: ${total - unhashed} records against their sha256; ${unhashed} line(s) carry none (an older export) — their entries were checked against their own content hash and CRC-32`
      : `checked: every record against its sha256, and every entry against its content hash and CRC-32`,
  );
  if (corrupt.length)
    console.log(
      `not imported: ${corrupt.length} entr${corrupt.length === 1 ? "y" : "ies"} already corrupt where they were exported (the cache reads them as a miss): ${some(corrupt, 3)}`,
    );
  if (filePointer !== undefined) {
    console.log(
      pointerRestored
        ? `restored the build pointer: it names ${filePointer} (was ${here?.current ?? "none"})`
        : `build pointer: kept ${here ? `this namespace's (names ${here.current})` : "none here"}; the file's names ${filePointer} — pass --with-pointer to restore it`,
    );
  }
  return { written, builds, pointerRestored };
}
