"use server";
import { updateTag } from "next/cache";

/** updateTag is for Server Actions (Next 16 and vinext throw elsewhere): the editor sees the change at once. */
export async function publish(formData: FormData) {
  updateTag(String(formData.get("tag")));
}
