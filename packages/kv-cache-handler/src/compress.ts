/**
 * gzip through the web-standard CompressionStream. gzip (not deflate-raw) so a
 * stored HTML part can later be sent as is with `Content-Encoding: gzip`, and
 * because its trailer (CRC-32 + length) lets a corrupted part be detected.
 */

/** Below this many bytes the gzip header and trailer (18 bytes) rarely pay. */
const MIN_COMPRESS_BYTES = 128;
/** Keep the compressed form only when it saves at least this share. */
const MIN_SAVING = 0.08;

async function pipe(bytes: Uint8Array, stream: CompressionStream | DecompressionStream): Promise<Uint8Array> {
  const body = new Response(bytes as BufferSource).body!.pipeThrough(stream as ReadableWritablePair<Uint8Array, Uint8Array>);
  return new Uint8Array(await new Response(body).arrayBuffer());
}

export const gzip = (bytes: Uint8Array): Promise<Uint8Array> => pipe(bytes, new CompressionStream("gzip"));

/**
 * Inflates into a buffer of the size the header promised: no intermediate
 * Response/Blob and no final concatenation, which is most of the per-part
 * overhead on the read path. Throws when the output is not exactly `rawBytes`.
 */
export async function gunzip(bytes: Uint8Array, rawBytes: number): Promise<Uint8Array<ArrayBuffer>> {
  const stream = new DecompressionStream("gzip");
  const writer = stream.writable.getWriter();
  const reader = stream.readable.getReader();
  const written = writer.write(bytes as Uint8Array<ArrayBuffer>).then(() => writer.close());
  written.catch(() => {}); // a corrupt input surfaces through the reader below
  const out = new Uint8Array(rawBytes);
  let offset = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (offset + value.byteLength > rawBytes) {
      await reader.cancel();
      throw new RangeError(`inflates past the ${rawBytes} bytes its header promised`);
    }
    out.set(value, offset);
    offset += value.byteLength;
  }
  await written;
  if (offset !== rawBytes) throw new RangeError(`inflates to ${offset} bytes, its header promised ${rawBytes}`);
  return out;
}

/** Compresses when it pays: returns the gzip bytes, or `undefined` to store the raw bytes. */
export async function gzipIfSmaller(bytes: Uint8Array): Promise<Uint8Array | undefined> {
  if (bytes.byteLength < MIN_COMPRESS_BYTES) return undefined;
  const packed = await gzip(bytes);
  return packed.byteLength <= bytes.byteLength * (1 - MIN_SAVING) ? packed : undefined;
}
