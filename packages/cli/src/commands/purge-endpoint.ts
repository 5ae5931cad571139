/**
 * `edge-isr purge --endpoint <url>`: revalidates tags through the deployed
 * Worker's revalidation endpoint (`createISR({ revalidateEndpoint })`), in as
 * many requests as its limits need, and believes only an answer that is the
 * endpoint's: status 200, JSON `{"revalidated":{"tags":<n>,"paths":<n>}}`
 * counting what was sent.
 */
import { MAX_ENDPOINT_BODY, MAX_ENDPOINT_ITEMS } from "@edge-isr/runtime";
import { CliError, redact } from "../errors.js";
import { some } from "../format.js";
import { httpUrl } from "../http-url.js";
import { CliLimits } from "../limits.js";

export interface EndpointResult {
  /** The requests sent, one per batch. */
  requests: number;
  /** The endpoint's answers, in order. */
  answers: unknown[];
}

/** Tags per request: the endpoint's limit of items (the handler acts on every tag of one invalidation). */
export const TAGS_PER_REQUEST = MAX_ENDPOINT_ITEMS;

/** Splits tags into request bodies within TAGS_PER_REQUEST and the endpoint's byte limit; `stale` asks for the "max" profile. */
export function endpointBodies(tags: string[], stale: boolean): string[] {
  const body = (batch: string[]) => JSON.stringify({ tags: batch, paths: [], ...(stale ? { profile: "max" } : {}) });
  const bodies: string[] = [];
  let batch: string[] = [];
  for (const tag of tags) {
    const next = [...batch, tag];
    if (batch.length && (next.length > TAGS_PER_REQUEST || Buffer.byteLength(body(next)) > MAX_ENDPOINT_BODY)) {
      bodies.push(body(batch));
      batch = [tag];
    } else {
      batch = next;
    }
  }
  if (batch.length) bodies.push(body(batch));
  return bodies;
}

function secretFromEnv(): string {
  const secret = process.env.EDGE_ISR_SECRET;
  if (!secret) {
    throw new CliError(
      "ERR_MISSING_TOKEN",
      "--endpoint needs EDGE_ISR_SECRET, which is not set",
      "export EDGE_ISR_SECRET=… with the secret the Worker was deployed with (`wrangler secret put EDGE_ISR_SECRET`); it is never printed.",
    );
  }
  if (secret.length < CliLimits.minRedactedSecret) {
    console.error(
      `warning: EDGE_ISR_SECRET is ${secret.length} characters: easy to guess. Give the Worker a random one (\`openssl rand -hex 32 | wrangler secret put EDGE_ISR_SECRET\`) and export the same.`,
    );
  }
  return secret;
}

/** The endpoint's answer to one batch, or a coded error saying what came back instead. */
async function send(where: string, url: URL, secret: string, body: string, sent: number): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: "POST",
      redirect: "manual",
      headers: { authorization: `Bearer ${secret}`, "content-type": "application/json" },
      body,
    });
  } catch (error) {
    throw new CliError(
      "ERR_PURGE_FAILED",
      `could not reach ${where}: ${redact(String((error as Error)?.cause ?? (error as Error)?.message ?? error))}`,
      "check the URL and that the Worker is deployed, then run the command again (it is safe to repeat).",
    );
  }
  const text = await res.text();
  let answer: unknown;
  try {
    answer = JSON.parse(text);
  } catch {
    answer = undefined;
  }
  const shown = () => {
    const type = res.headers.get("content-type") ?? "no content-type";
    const start = redact(text).replace(/\s+/g, " ").trim().slice(0, 80); // redacted before the cut, which could halve a secret
    return `${type}${start ? `, starting ${JSON.stringify(start)}` : ", empty"}`;
  };
  const notEndpoint = (what: string) =>
    new CliError(
      "ERR_NOT_ENDPOINT",
      `${where} ${what}: that is not edge-isr's revalidation endpoint, so nothing was revalidated there`,
      "point --endpoint at the path createISR's revalidateEndpoint answers (default /_isr/revalidate) on the deployed Worker, and make sure the endpoint is enabled (its secret is set). A page or a proxy answering 200 does not revalidate anything.",
    );
  if (res.status >= 300 && res.status < 400)
    throw notEndpoint(`answered ${res.status}, a redirect to ${res.headers.get("location") ?? "nowhere"}`);
  if (res.status !== 200) {
    const error = (answer as { error?: unknown } | undefined)?.error;
    const reason = redact(typeof error === "string" ? error : text).slice(0, 200) || res.statusText; // redacted before the cut, which could halve a secret
    const hint =
      res.status === 401
        ? "EDGE_ISR_SECRET does not match the Worker's secret: export the one it was deployed with (`wrangler secret put EDGE_ISR_SECRET` sets it)."
        : res.status === 404
          ? "the endpoint is disabled or the URL is wrong: check the path, and that the Worker has its revalidation secret (EDGE_ISR_SECRET) set."
          : "fix what the server names, then run the command again (it is safe to repeat).";
    throw new CliError("ERR_PURGE_FAILED", `${where} answered ${res.status}: ${reason}`, hint);
  }
  const counted = (answer as { revalidated?: { tags?: unknown; paths?: unknown } } | undefined)?.revalidated;
  if (typeof counted?.tags !== "number" || typeof counted.paths !== "number") throw notEndpoint(`answered 200 with ${shown()}`);
  if (counted.tags !== sent) throw notEndpoint(`answered that it revalidated ${counted.tags} tag(s) of the ${sent} sent`);
  return answer;
}

/** Expires (or, with `stale`, marks stale) `tags` through the endpoint at `url`, with EDGE_ISR_SECRET. */
export async function purgeThroughEndpoint(url: string, tags: string[], stale: boolean): Promise<EndpointResult> {
  const parsed = httpUrl(
    "--endpoint",
    url,
    "pass the full URL of the revalidation endpoint, e.g. --endpoint https://example.com/_isr/revalidate.",
  );
  const secret = secretFromEnv();
  const where = `${parsed.origin}${parsed.pathname}`;
  const bodies = endpointBodies(tags, stale);
  const answers: unknown[] = [];
  let done = 0;
  for (const body of bodies) {
    const sent = (JSON.parse(body) as { tags: string[] }).tags.length;
    try {
      answers.push(await send(where, parsed, secret, body, sent));
    } catch (error) {
      if (error instanceof CliError && done > 0) {
        throw new CliError(
          error.code,
          `${error.message} — after ${done} of ${tags.length} tags were ${stale ? "marked stale" : "expired"} in ${answers.length} earlier request(s)`,
          `${error.hint} Running it again revalidates those tags once more, which is harmless.`,
        );
      }
      throw error;
    }
    done += sent;
  }
  const requests =
    bodies.length > 1 ? ` in ${bodies.length} requests (at most ${TAGS_PER_REQUEST} tags and ${MAX_ENDPOINT_BODY / 1024} KiB each)` : "";
  console.log(`${stale ? "marked stale" : "expired"} ${tags.length} tag(s) (${some(tags, 10)}) through ${parsed.origin}${requests}`);
  return { requests: bodies.length, answers };
}
