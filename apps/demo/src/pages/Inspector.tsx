import { SignIn, SignOut } from "../components/SignIn";
import type { PageData } from "../types";
import { FlashMessage } from "./Admin";

const kb = (bytes: number) => (bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} KB`);
const ageOf = (now: number, ms: number) => {
  const s = Math.max(0, Math.round((now - ms) / 1000));
  return s < 120 ? `${s}s` : s < 7200 ? `${Math.round(s / 60)}m` : `${Math.round(s / 3600)}h`;
};

type Props = Omit<Extract<PageData, { page: "inspector" }>, "page">;

/** `/admin/cache`: the CACHE namespace one page of keys at a time (KV metadata only), and purge-by-tag. Never cached; signed-in only. */
export function Inspector({ signedIn, entries, next, tags, currentBuild, now, flash, localDefaultSecret }: Props) {
  if (!signedIn) {
    return (
      <>
        <h1>Cache inspector</h1>
        <FlashMessage flash={flash} />
        <p className="lead">The inspector lists what is in the CACHE namespace; sign in to see it.</p>
        <SignIn next="/admin/cache" localDefaultSecret={localDefaultSecret} />
      </>
    );
  }
  const stored = entries.reduce((n, e) => n + e.storedBytes, 0);
  const raw = entries.reduce((n, e) => n + e.rawBytes, 0);
  return (
    <>
      <h1>Cache inspector</h1>
      <FlashMessage flash={flash} />
      <SignOut />
      <p className="lead">
        {entries.length} entries on this page of the <code>CACHE</code> namespace, {kb(stored)} stored for {kb(raw)} of pages — read from
        one KV <code>list()</code> and its metadata, without reading any entry. The current build is <code>{currentBuild}</code>; older
        builds' entries are never served (remove them with <code>npx edge-isr --cwd apps/demo prune --keep 1</code>).
      </p>
      <table className="entries" data-testid="entries">
        <thead>
          <tr>
            <th>route</th>
            <th>build</th>
            <th>stored / raw</th>
            <th>age</th>
            <th>state</th>
          </tr>
        </thead>
        <tbody>
          {entries.map((e) => (
            <tr
              key={e.key}
              data-route={e.route}
              data-build={e.build}
              data-state={e.state}
              className={e.build === currentBuild ? "current" : "old"}
            >
              <td>{e.route.startsWith("/") ? <a href={e.route}>{e.route}</a> : e.route}</td>
              <td>
                <code>{e.build}</code>
              </td>
              <td>
                {kb(e.storedBytes)} / {kb(e.rawBytes)}
              </td>
              <td>{ageOf(now, e.lastModified)}</td>
              <td className={`state-${e.state}`}>{e.state}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {next !== undefined && (
        <p>
          <a href={`/admin/cache?${new URLSearchParams({ cursor: next })}`} data-testid="next-page">
            next page →
          </a>
        </p>
      )}
      <form method="post" action="/admin/purge" className="purge" data-testid="purge-form">
        <p>Purge by tag: the entries carrying it expire now, so their next request renders.</p>
        <div className="tags">
          {tags.map((t) =>
            t === "_N_T_/layout" ? (
              <button type="submit" name="tag" value={t} className="danger" data-testid="purge-all" key={t}>
                everything
              </button>
            ) : (
              <button type="submit" name="tag" value={t} key={t} data-testid={`purge-${t}`}>
                {t}
              </button>
            ),
          )}
        </div>
      </form>
    </>
  );
}
