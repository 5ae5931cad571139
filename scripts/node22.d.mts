/** Types of scripts/node22.mjs for TypeScript callers (tests). */
export declare function node22(): { node: string; bin: string; env: NodeJS.ProcessEnv };
