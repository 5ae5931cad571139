import { RenderStamp } from "./render-stamp";

export const revalidate = 3600;

export default function Home() {
  return (
    <>
      <h1>edge-isr on vinext</h1>
      <RenderStamp id="home" />
    </>
  );
}
