/**
 * vinext reads next.config like Next does. VINEXT_APP_BUILD_ID pins the build id
 * (Next's generateBuildId): vinext keys cached pages by build id, so only a build
 * with the same id can serve pages another build stored (the migration test uses it).
 */
export default {
  generateBuildId: async () => process.env.VINEXT_APP_BUILD_ID ?? null,
};
