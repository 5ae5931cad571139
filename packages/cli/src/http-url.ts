import { CliError } from "./errors.js";

/** The value of `flag` as an http(s) URL, or ERR_BAD_ARGUMENT naming it (cut to 200 characters) with `hint`. */
export function httpUrl(flag: string, value: string, hint: string): URL {
  const parsed = URL.canParse(value) ? new URL(value) : undefined;
  if (!parsed || (parsed.protocol !== "http:" && parsed.protocol !== "https:")) {
    throw new CliError("ERR_BAD_ARGUMENT", `${flag} ${JSON.stringify(value.slice(0, 200))} is not an http(s) URL`, hint);
  }
  return parsed;
}
