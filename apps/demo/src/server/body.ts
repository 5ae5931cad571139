/**
 * Admin forms, read with a bound that holds while the body streams: a
 * `Content-Length` over the limit is refused before a byte is read, and a
 * chunked body (no length) is cut off as soon as it passes the limit — a
 * 400 MB upload costs at most `limit` bytes of memory, never the isolate.
 */

/** The form fields, or "too large" once the body passed `limit` bytes (the rest is never read), or "not a form". */
export async function readForm(request: Request, limit: number): Promise<URLSearchParams | "too large" | "not a form"> {
  const declared = Number(request.headers.get("content-length"));
  if (declared > limit) return "too large";
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (request.body) {
    const reader = request.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > limit) {
        await reader.cancel("over the admin form limit");
        return "too large";
      }
      chunks.push(value);
    }
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  try {
    // Both encodings a browser form can send; the bytes are already bounded.
    const form = await new Response(bytes, {
      headers: { "content-type": request.headers.get("content-type") ?? "application/x-www-form-urlencoded" },
    }).formData();
    return new URLSearchParams([...form].filter((entry): entry is [string, string] => typeof entry[1] === "string"));
  } catch {
    return "not a form";
  }
}
