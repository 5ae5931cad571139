/**
 * `edge-isr export <file>`: the whole namespace as JSON lines (see
 * backup-format.ts). Written to `<file>.partial` and renamed when complete, so
 * an interrupted or failed export never leaves a file that looks whole.
 */
import { rmSync } from "node:fs";
import { open, rename, type FileHandle } from "node:fs/promises";
import { type BackupLine, recordHash } from "../backup-format.js";
import { CliError } from "../errors.js";
import { count, formatBytes } from "../format.js";
import type { KVListed, KVTarget } from "../kv/target.js";
import { stoppedBy } from "../interrupt.js";
import { progress } from "../progress.js";

/** Keys read at once while exporting. */
const EXPORT_CONCURRENCY = 8;

export interface ExportOptions {
  signal?: AbortSignal;
  progress?: boolean;
}

/** Writes every key of the target to `file`; returns how many. */
export async function exportTo(target: KVTarget, file: string, opts: ExportOptions = {}): Promise<number> {
  const listed: KVListed[] = [];
  try {
    for await (const key of target.list("")) {
      listed.push(key);
      if (opts.signal?.aborted) break;
    }
  } catch (error) {
    if (!(await stoppedBy(opts.signal))) throw error;
  }
  if (opts.signal?.aborted)
    throw new CliError(
      "ERR_INTERRUPTED",
      `export interrupted while listing ${target.description}; ${file} was not written`,
      "run the export again.",
    );
  const partial = `${file}.partial`;
  const fileError = (error: unknown) =>
    new CliError(
      "ERR_EXPORT_FILE",
      `could not write ${partial}: ${(error as Error)?.message ?? error}`,
      "check that the directory exists and is writable and that the disk has room, then export again.",
    );
  let out: FileHandle;
  try {
    out = await open(partial, "w");
  } catch (error) {
    throw fileError(error);
  }
  let written = 0;
  let bytes = 0;
  const bar = progress(listed.length, "exporting", "keys", opts.progress);
  let complete = false;
  let processed = 0;
  try {
    for (let i = 0; i < listed.length && !opts.signal?.aborted; i += EXPORT_CONCURRENCY) {
      const chunk = listed.slice(i, i + EXPORT_CONCURRENCY);
      const values = await Promise.all(chunk.map((k) => target.get(k.name)));
      let text = "";
      chunk.forEach((k, j) => {
        const hit = values[j];
        if (!hit) return; // expired or deleted since it was listed
        const metadata = hit.metadata ?? k.metadata ?? null;
        const expiration = k.expiration ?? null;
        const line: BackupLine = {
          key: k.name,
          value: Buffer.from(hit.value.buffer, hit.value.byteOffset, hit.value.byteLength).toString("base64"),
          metadata,
          expiration,
          sha256: recordHash(k.name, metadata, expiration, hit.value),
        };
        text += `${JSON.stringify(line)}\n`;
        written++;
        bytes += hit.value.byteLength;
      });
      if (text) await out.write(text).catch((error: unknown) => Promise.reject(fileError(error)));
      processed = Math.min(i + EXPORT_CONCURRENCY, listed.length);
      bar.update(processed);
    }
    complete = !opts.signal?.aborted;
  } catch (error) {
    // In a terminal, Ctrl-C also ends the local workerd: the reads under way then fail.
    if (!(await stoppedBy(opts.signal))) throw error;
  } finally {
    bar.stop();
    await out.close();
    if (!complete) rmSync(partial, { force: true });
  }
  if (!complete) throw exportInterrupted(file, processed, listed.length);
  await rename(partial, file).catch((error: unknown) => Promise.reject(fileError(error)));
  console.log(`exported ${count(written)} keys (${formatBytes(bytes)} of values) from ${target.description} to ${file}`);
  return written;
}

/** The error an interrupted export ends with (the partial file is already gone). */
const exportInterrupted = (file: string, done: number, total: number) =>
  new CliError(
    "ERR_INTERRUPTED",
    `export interrupted after ${count(done)} of ${count(total)} keys; ${file} was not written (the partial copy was removed)`,
    "run the export again: it reads the namespace afresh.",
  );
