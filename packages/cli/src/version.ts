/** The CLI's version, from its package.json (inlined by the build). */
import pkg from "../package.json" with { type: "json" };

export const CLI_VERSION: string = pkg.version;
