import type { Aedes, Client } from 'aedes';

/**
 * Works around a bug of aedes 1.2 with a broadcasting (Redis) persistence: for a persistent
 * session, aedes calls `persistence.addSubscriptions(client, packet.subscriptions)` once per filter
 * of a SUBSCRIBE, each time with the whole list (lib/handlers/subscribe.js), and the broadcast
 * persistence waits for its own echo under a key made of the client id and the first filter, so the
 * concurrent calls overwrite each other's waiter: with two or more filters in one SUBSCRIBE the
 * SUBACK never comes (the yizhan server subscribes to five at once and never becomes ready). One
 * call per SUBSCRIBE packet stores the same thing.
 */
export function coalesceAddSubscriptions(aedes: Aedes): void {
  const p = (aedes as unknown as { persistence: { addSubscriptions(c: Client, subs: object): Promise<unknown> } })
    .persistence;
  const add = p.addSubscriptions.bind(p);
  const calls = new WeakMap<object, Promise<unknown>>(); // by the SUBSCRIBE packet's list
  p.addSubscriptions = (client, subs) => {
    let call = calls.get(subs);
    if (!call) calls.set(subs, (call = add(client, subs)));
    return call;
  };
}
