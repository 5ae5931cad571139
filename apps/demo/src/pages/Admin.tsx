import { SignIn, SignOut } from "../components/SignIn";
import { formatPrice, LIMITS, type Product } from "../db";
import type { Flash } from "../types";

export function FlashMessage({ flash }: { flash?: Flash }) {
  return flash ? (
    <p className={`flash flash-${flash.kind}`} role="status" data-testid="flash">
      {flash.text}
    </p>
  ) : null;
}

/** `/admin`: edit a product in the DB namespace, then revalidate its tags. Never cached; signed-in only. */
export function Admin({
  products,
  signedIn,
  flash,
  localDefaultSecret,
}: {
  products: Product[];
  signedIn: boolean;
  flash?: Flash;
  localDefaultSecret: boolean;
}) {
  return (
    <>
      <h1>Admin</h1>
      <FlashMessage flash={flash} />
      <p className="lead">
        Saving writes the product to the <code>DB</code> KV namespace and calls <code>revalidateTag("product:&lt;id&gt;")</code> and{" "}
        <code>revalidateTag("catalogue")</code>. <b>Expire</b> makes the next view render the new data; <b>stale</b> serves the old page
        once more while the new one renders — Next.js's two revalidation profiles.
      </p>
      {!signedIn ? (
        <SignIn next="/admin" localDefaultSecret={localDefaultSecret} />
      ) : (
        <>
          <SignOut />
          {products.map((p) => (
            <form method="post" action={`/admin/products/${p.id}`} className="edit" key={p.id} data-testid={`edit-${p.id}`}>
              <strong>
                #{p.id} <a href={`/products/${p.id}`}>{p.name}</a> <span>{formatPrice(p.price)}</span>
              </strong>
              <label>
                name <input name="name" defaultValue={p.name} maxLength={LIMITS.nameChars} required />
              </label>
              <label>
                price € <input name="price" defaultValue={(p.price / 100).toFixed(2)} inputMode="decimal" required />
              </label>
              <label>
                then{" "}
                <select name="mode" defaultValue="expire">
                  <option value="expire">expire its pages (next view renders)</option>
                  <option value="stale">mark them stale (served once more, then new)</option>
                </select>
              </label>
              <button type="submit">Save and revalidate</button>
            </form>
          ))}
        </>
      )}
    </>
  );
}
