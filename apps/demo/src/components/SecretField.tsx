/**
 * The admin secret, remembered for this tab (sessionStorage) once hydrated, so
 * each admin form does not ask again. Without JavaScript it is a plain field.
 */
import { useEffect, useState } from "react";

const STORAGE_KEY = "edge-isr-demo:secret";

export function SecretField({ localDefaultSecret }: { localDefaultSecret: boolean }) {
  const [value, setValue] = useState("");
  useEffect(() => setValue(sessionStorage.getItem(STORAGE_KEY) ?? ""), []);
  return (
    <label className="secret">
      admin secret
      <input
        type="password"
        name="secret"
        required
        autoComplete="off"
        value={value}
        onChange={(event) => {
          setValue(event.target.value);
          sessionStorage.setItem(STORAGE_KEY, event.target.value);
        }}
        placeholder={localDefaultSecret ? "edge-isr-demo" : "ADMIN_SECRET"}
      />
      {localDefaultSecret && <small>local default: <code>edge-isr-demo</code> (set ADMIN_SECRET to change it)</small>}
    </label>
  );
}
