/**
 * What every store class starts from: the shared command connection and the product's key names
 * (keys.ts). Each subclass is one concept of the store and owns its Lua scripts.
 *
 * @module
 */
import type { Keys } from "./keys.ts";
import type { Redis } from "./redis/client.ts";

/** A store concept over one Redis connection and one key prefix. */
export abstract class Store {
  protected readonly redis: Redis;
  protected readonly keys: Keys;

  constructor(redis: Redis, keys: Keys) {
    this.redis = redis;
    this.keys = keys;
  }
}
