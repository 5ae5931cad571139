/**
 * Maps cache keys to KV keys. Keys that fit go under `e:`; longer ones are
 * replaced by their SHA-256 under `h:`, and the entry keeps the original key
 * so a (theoretical) collision reads as a miss instead of the wrong page.
 */
import { sha256, toHex, utf8Length } from "./bytes.js";
import { KVLimits } from "./limits.js";

export const ENTRY_PREFIX = "e:";
export const HASHED_PREFIX = "h:";

export async function kvKeyFor(prefix: string, key: string): Promise<string> {
  const plain = prefix + ENTRY_PREFIX + key;
  // A UTF-16 unit is at most 3 UTF-8 bytes: most keys fit without encoding them to count.
  if (plain.length * 3 <= KVLimits.maxKeyBytes || utf8Length(plain) <= KVLimits.maxKeyBytes) return plain;
  return prefix + HASHED_PREFIX + toHex(await sha256(key));
}
