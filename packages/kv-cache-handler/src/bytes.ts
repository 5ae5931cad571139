/** Byte helpers shared by the codec and key hashing. Web-standard only. */

const encoder = new TextEncoder();
const fatalDecoder = new TextDecoder("utf-8", { fatal: true });

export const utf8 = (text: string): Uint8Array => encoder.encode(text);
/** Decodes UTF-8 and throws on invalid bytes, so corruption is noticed rather than replaced. */
export const fromUtf8 = (bytes: Uint8Array): string => fatalDecoder.decode(bytes);
export const utf8Length = (text: string): number => encoder.encode(text).byteLength;

/** Accepts what callers hand us for binary fields (ArrayBuffer, Buffer, any view, string). */
export function toBytes(value: unknown): Uint8Array | undefined {
  if (value === undefined || value === null) return undefined;
  if (value instanceof Uint8Array) return value;
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  if (typeof value === "string") return utf8(value);
  throw new TypeError(`expected ArrayBuffer, a typed array or a string, got ${Object.prototype.toString.call(value)}`);
}

/** A fresh ArrayBuffer holding exactly these bytes (never a view into a larger buffer). */
export function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer) {
    return bytes.buffer;
  }
  return bytes.slice().buffer as ArrayBuffer;
}

export function concat(chunks: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  let length = 0;
  for (const chunk of chunks) length += chunk.byteLength;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

/** SHA-256 via Web Crypto, of a string's UTF-8 or of bytes. */
export async function sha256(input: string | Uint8Array): Promise<Uint8Array> {
  const bytes = typeof input === "string" ? utf8(input) : input;
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as BufferSource));
}

export function toHex(bytes: Uint8Array): string {
  let out = "";
  for (const byte of bytes) out += byte.toString(16).padStart(2, "0");
  return out;
}

const B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
/** The first `chars` base64url characters of `bytes` (6 bits each). */
export function base64UrlPrefix(bytes: Uint8Array, chars: number): string {
  let out = "";
  let bits = 0;
  let acc = 0;
  for (const byte of bytes) {
    acc = (acc << 8) | byte;
    bits += 8;
    while (bits >= 6 && out.length < chars) {
      bits -= 6;
      out += B64URL[(acc >> bits) & 63];
    }
    if (out.length >= chars) break;
    acc &= (1 << bits) - 1;
  }
  return out;
}

let crcTables: Uint32Array | undefined;
/** The eight 256-entry tables of slice-by-8 CRC-32 (the first is the classic byte table). */
function makeCrcTables(): Uint32Array {
  const t = new Uint32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  for (let n = 0; n < 256; n++) {
    for (let k = 1; k < 8; k++) {
      const prev = t[(k - 1) * 256 + n]!;
      t[k * 256 + n] = (prev >>> 8) ^ t[prev & 0xff]!;
    }
  }
  return t;
}

/**
 * CRC-32 (IEEE) of a part's stored bytes, checked before the part is served.
 * Slice-by-8: eight bytes per step, about 2.3× the byte-at-a-time loop in V8
 * (it runs on every HIT, over the served part only).
 */
export function crc32(bytes: Uint8Array): number {
  const t = (crcTables ??= makeCrcTables());
  let crc = ~0;
  let i = 0;
  const n = bytes.length;
  for (; i + 8 <= n; i += 8) {
    const a = (bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24)) ^ crc;
    crc =
      t[1792 + (a & 0xff)]! ^
      t[1536 + ((a >>> 8) & 0xff)]! ^
      t[1280 + ((a >>> 16) & 0xff)]! ^
      t[1024 + (a >>> 24)]! ^
      t[768 + bytes[i + 4]!]! ^
      t[512 + bytes[i + 5]!]! ^
      t[256 + bytes[i + 6]!]! ^
      t[bytes[i + 7]!]!;
  }
  for (; i < n; i++) crc = t[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ ~0) >>> 0;
}
