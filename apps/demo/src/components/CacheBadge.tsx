/**
 * The badge that makes stale-while-revalidate visible: the cache state of this
 * response (read from its Server-Timing header, which the runtime sets), when
 * the HTML was rendered, and its age, ticking. The state is known only in the
 * browser — the HTML itself is the same bytes on a HIT as on the MISS that
 * stored it — so the server renders a placeholder and hydration fills it in.
 */
import { useEffect, useState } from "react";
import type { RenderInfo } from "../types";

type State = "HIT" | "STALE" | "MISS" | "REVALIDATED" | "BYPASS";

const EXPLAIN: Record<State, string> = {
  HIT: "served from KV: no render, one KV read",
  STALE: "served from KV at once; a fresh copy is rendering in the background",
  MISS: "not in the cache: rendered for this request and stored",
  REVALIDATED: "rendered on purpose (prerender or forced) and stored",
  BYPASS: "not from the cache: an admin page, or an answer for this client alone",
};

/** The cache state of the current document, from the navigation's Server-Timing `cache;desc="…"`. */
function documentCacheState(): State | undefined {
  const [nav] = performance.getEntriesByType("navigation") as PerformanceNavigationTiming[];
  const desc = nav?.serverTiming?.find((entry) => entry.name === "cache")?.description;
  return desc && desc in EXPLAIN ? (desc as State) : undefined;
}

/** UTC wall-clock time: the same text on the server and in the browser, so hydration matches. */
export const clock = (ms: number) => `${new Date(ms).toISOString().slice(11, 19)} UTC`;

const formatAge = (seconds: number) => (seconds < 60 ? `${seconds}s` : `${Math.floor(seconds / 60)}m ${seconds % 60}s`);

export function CacheBadge({ info }: { info: RenderInfo }) {
  const [state, setState] = useState<State | "unknown" | undefined>(undefined);
  const [now, setNow] = useState<number | undefined>(undefined);
  useEffect(() => {
    setState(documentCacheState() ?? "unknown");
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);

  const age = now === undefined ? undefined : Math.max(0, Math.floor((now - info.generatedAt) / 1000));
  const freshFor = age === undefined || info.revalidate === null ? undefined : info.revalidate - age;
  const shown = state ?? "…";
  return (
    <aside className={`badge badge-${String(shown).toLowerCase()}`} data-testid="cache-badge" data-state={state ?? ""} aria-live="polite">
      <strong className="badge-state" data-testid="cache-state">
        {shown}
      </strong>
      <span className="badge-explain">
        {state && state !== "unknown" ? EXPLAIN[state] : state === "unknown" ? "no cache state on this response" : "reading the response…"}
      </span>
      <span>
        generated{" "}
        <time dateTime={new Date(info.generatedAt).toISOString()} data-testid="generated-at">
          {clock(info.generatedAt)}
        </time>
        {age !== undefined && (
          <>
            {" "}
            · age <span data-testid="age">{formatAge(age)}</span>
          </>
        )}
      </span>
      {freshFor !== undefined && (
        <span className="badge-window">
          {freshFor > 0
            ? `fresh for ${freshFor}s more (window ${info.revalidate}s)`
            : `stale: the next visit is served this copy while a new one renders`}
        </span>
      )}
    </aside>
  );
}
