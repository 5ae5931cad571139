/**
 * vinext's handler deletes an invalidated entry without awaiting it; under production's
 * one write per second per key (test/helpers/counting-kv.ts) KV answers such a delete 429
 * and, in vinext, nothing handles the rejection. A binding wrapped here marks those
 * rejections handled and counts them, so vinext's behaviour is unchanged but cannot fail
 * a run with an unhandled rejection.
 */
export function noticingDeletes(kv: KVNamespace, onRefused: () => void): KVNamespace {
  return new Proxy(kv, {
    get(target, name, receiver) {
      if (name !== "delete") return Reflect.get(target, name, receiver);
      return (key: string) => {
        const done = target.delete(key);
        done.catch(onRefused);
        return done;
      };
    },
  });
}
