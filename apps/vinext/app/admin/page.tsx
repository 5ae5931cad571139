import { publish } from "./actions";

export const dynamic = "force-dynamic";

export default function Admin() {
  return (
    <form action={publish}>
      <input name="tag" defaultValue="post:world" />
      <button type="submit">Publish</button>
    </form>
  );
}
