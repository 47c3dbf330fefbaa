import { requireEnv } from '../config/env';
import { ENV } from '../infra/definitions';
import { makePorts, type Ports } from '../use-cases/ports';
import { documentClient } from './clients';

let ports: Ports | undefined;

/**
 * The ports of a deployed (or embedded) handler, built once per execution environment. A function
 * is given the names of only the tables it may use, so each table's name is read when a store of
 * that table is first used: a handler that touches a table it was not given fails with the missing
 * variable's name, and one that does not touch it never asks.
 */
export function runtimePorts(): Ports {
  ports ??= makePorts(documentClient(), {
    get inventory() {
      return requireEnv(ENV.inventoryTable);
    },
    get orders() {
      return requireEnv(ENV.ordersTable);
    },
  });
  return ports;
}
