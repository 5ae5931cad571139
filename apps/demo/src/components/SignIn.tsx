/**
 * The admin session controls: a sign-in form (the secret, checked once; the
 * server then keeps an HttpOnly session cookie) or, once signed in, a sign-out
 * button. Plain forms: they work before hydration and without JavaScript.
 */
export function SignIn({ next, localDefaultSecret }: { next: "/admin" | "/admin/cache"; localDefaultSecret: boolean }) {
  return (
    <form method="post" action="/admin/sign-in" className="sign-in" data-testid="sign-in">
      <input type="hidden" name="next" value={next} />
      <label className="secret">
        admin secret
        <input
          type="password"
          name="secret"
          required
          autoComplete="current-password"
          placeholder={localDefaultSecret ? "edge-isr-demo" : "EDGE_ISR_SECRET"}
        />
        {localDefaultSecret && (
          <small>
            local default: <code>edge-isr-demo</code> (set EDGE_ISR_SECRET to change it)
          </small>
        )}
      </label>
      <button type="submit">Sign in</button>
    </form>
  );
}

export function SignOut() {
  return (
    <form method="post" action="/admin/sign-out" className="sign-out" data-testid="sign-out">
      <button type="submit">Sign out</button>
    </form>
  );
}
