import { RenderStamp } from "../render-stamp";

/** A page nothing invalidates: it stays a HIT while others are revalidated. */
export const revalidate = 3600;

export default function About() {
  return (
    <>
      <h1>About</h1>
      <RenderStamp id="about" />
    </>
  );
}
