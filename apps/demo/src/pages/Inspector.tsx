import { useState } from "react";
import { SecretField } from "../components/SecretField";
import type { Flash, InspectorEntry } from "../types";
import { FlashMessage } from "./Admin";

const kb = (bytes: number) => (bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} KB`);
const ageOf = (now: number, ms: number) => {
  const s = Math.max(0, Math.round((now - ms) / 1000));
  return s < 120 ? `${s}s` : s < 7200 ? `${Math.round(s / 60)}m` : `${Math.round(s / 3600)}h`;
};

/** `/admin/cache`: every entry in the CACHE namespace, and purge-by-tag. Never cached. */
export function Inspector({ entries, currentBuild, now, flash, localDefaultSecret }: { entries: InspectorEntry[]; currentBuild: string; now: number; flash?: Flash; localDefaultSecret: boolean }) {
  const [showImplicit, setShowImplicit] = useState(false);
  const tags = [...new Set(entries.flatMap((e) => e.tags))].filter((t) => showImplicit || !t.startsWith("_N_T_")).sort();
  const stored = entries.reduce((n, e) => n + e.storedBytes, 0);
  const raw = entries.reduce((n, e) => n + e.rawBytes, 0);
  return (
    <>
      <h1>Cache inspector</h1>
      <FlashMessage flash={flash} />
      <p className="lead">
        {entries.length} entries in the <code>CACHE</code> namespace, {kb(stored)} stored for {kb(raw)} of pages. The current build is{" "}
        <code>{currentBuild}</code>; older builds' entries are never served (remove them with <code>npx edge-isr --cwd apps/demo prune --keep 1</code>).
      </p>
      <table className="entries" data-testid="entries">
        <thead>
          <tr>
            <th>route</th>
            <th>build</th>
            <th>stored / raw</th>
            <th>age</th>
            <th>state</th>
            <th>tags</th>
          </tr>
        </thead>
        <tbody>
          {entries.map((e) => (
            <tr key={e.key} data-route={e.route} data-build={e.build} data-state={e.state} className={e.build === currentBuild ? "current" : "old"}>
              <td>
                <a href={e.route}>{e.route}</a>
              </td>
              <td>
                <code>{e.build}</code>
              </td>
              <td>
                {kb(e.storedBytes)} / {kb(e.rawBytes)}
              </td>
              <td>{ageOf(now, e.lastModified)}</td>
              <td className={`state-${e.state}`}>{e.state}</td>
              <td>{e.tags.filter((t) => showImplicit || !t.startsWith("_N_T_")).join(" ")}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <form method="post" action="/admin/purge" className="purge" data-testid="purge-form">
        <p>
          Purge by tag: the entries carrying it expire now, so their next request renders. Tags{" "}
          <label>
            <input type="checkbox" checked={showImplicit} onChange={(e) => setShowImplicit(e.target.checked)} data-testid="show-implicit" /> show Next.js's
            implicit path tags
          </label>
        </p>
        <SecretField localDefaultSecret={localDefaultSecret} />
        <div className="tags">
          {tags.map((t) => (
            <button type="submit" name="tag" value={t} key={t} data-testid={`purge-${t}`}>
              {t}
            </button>
          ))}
          <button type="submit" name="tag" value="_N_T_/layout" className="danger" data-testid="purge-all">
            everything
          </button>
        </div>
      </form>
    </>
  );
}
