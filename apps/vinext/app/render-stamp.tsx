/** Marks one render: tests compare it to tell a cached page from a new render. */
export function RenderStamp({ id }: { id: string }) {
  return (
    <p>
      rendered <time data-render={id}>{new Date().toISOString()}</time> ({crypto.randomUUID()})
    </p>
  );
}
