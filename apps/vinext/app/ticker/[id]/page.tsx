import { RenderStamp } from "../../render-stamp";

/** Fresh for 3 seconds, then served stale while it regenerates: ISR by time, rendered on first request. */
export const revalidate = 3;

/** None at build time: each ticker is rendered on its first request, then cached (Next's on-demand ISR). */
export function generateStaticParams() {
  return [];
}

export default async function Ticker({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return (
    <>
      <h1>Ticker {id}</h1>
      <RenderStamp id={`ticker-${id}`} />
    </>
  );
}
