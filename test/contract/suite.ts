/**
 * The one contract suite every cache handler runs (like unstorage's
 * `testDriver`): call `testCacheHandler({ name, create })` from a test file.
 */
import { describe, it } from "vitest";
import { failureCases } from "./cases/failures.js";
import { integrityCases } from "./cases/integrity.js";
import { kvCostCases } from "./cases/kv-cost.js";
import { lifespanCases } from "./cases/lifespan.js";
import { limitCases } from "./cases/limits.js";
import { roundTripCases } from "./cases/round-trip.js";
import { tagCases } from "./cases/tags.js";
import { vinextCallCases } from "./cases/vinext-calls.js";
import type { Case, ContractOptions } from "./fixture.js";

export function testCacheHandler(options: ContractOptions): void {
  describe(`cache-handler contract: ${options.name}`, () => {
    const test: Case = (name, fn) => {
      const reason = options.skip?.[name];
      if (reason) {
        console.info(`[contract] ${options.name} skips "${name}": ${reason}`);
        it.skip(name, () => {});
        return;
      }
      // Cases count operations and states, never time; some make hundreds of writes (each also
      // replacing the L1's copy), which a machine under load can stretch past the default 5 s.
      it(name, async () => fn(await options.create()), 20_000);
    };
    roundTripCases(test);
    lifespanCases(test);
    tagCases(test);
    kvCostCases(test);
    integrityCases(test);
    limitCases(test);
    failureCases(test);
    vinextCallCases(test);
  });
}
