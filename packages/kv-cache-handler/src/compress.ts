/**
 * gzip through the web-standard CompressionStream. gzip (not deflate-raw) so a
 * stored HTML part can later be sent as is with `Content-Encoding: gzip`, and
 * because its trailer (CRC-32 + length) lets a corrupted part be detected.
 */

/** Below this many bytes the gzip header and trailer (18 bytes) rarely pay. */
const MIN_COMPRESS_BYTES = 128;
/** Keep the compressed form only when it saves at least this share. */
const MIN_SAVING = 0.08;

async function pipe(bytes: Uint8Array, stream: CompressionStream | DecompressionStream): Promise<Uint8Array<ArrayBuffer>> {
  const body = new Response(bytes as BufferSource).body!.pipeThrough(stream as ReadableWritablePair<Uint8Array, Uint8Array>);
  return new Uint8Array(await new Response(body).arrayBuffer());
}

export const gzip = (bytes: Uint8Array): Promise<Uint8Array> => pipe(bytes, new CompressionStream("gzip"));

/**
 * Inflates a part and checks it has the size its header promised. Piping a
 * Response body through DecompressionStream into arrayBuffer() stays inside
 * the runtime's native stream code in workerd; reading chunks in JavaScript
 * was measured 2.5× slower there (benchmarks/README.md).
 */
export async function gunzip(bytes: Uint8Array, rawBytes: number): Promise<Uint8Array<ArrayBuffer>> {
  const out = await pipe(bytes, new DecompressionStream("gzip"));
  if (out.byteLength !== rawBytes) throw new RangeError(`inflates to ${out.byteLength} bytes, its header promised ${rawBytes}`);
  return out;
}

/** Compresses when it pays: returns the gzip bytes, or `undefined` to store the raw bytes. */
export async function gzipIfSmaller(bytes: Uint8Array): Promise<Uint8Array | undefined> {
  if (bytes.byteLength < MIN_COMPRESS_BYTES) return undefined;
  const packed = await gzip(bytes);
  return packed.byteLength <= bytes.byteLength * (1 - MIN_SAVING) ? packed : undefined;
}
