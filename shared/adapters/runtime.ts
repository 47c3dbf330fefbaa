import { requireEnv } from '../config/env';
import { ENV } from '../infra/definitions';
import { makePorts, type Ports } from '../use-cases/ports';
import { documentClient } from './clients';

let ports: Ports | undefined;

/**
 * The ports of a deployed (or embedded) handler, built once per execution environment from its
 * environment variables. Called at module scope, so a missing variable fails the cold start.
 */
export function runtimePorts(): Ports {
  ports ??= makePorts(documentClient(), {
    inventory: requireEnv(ENV.inventoryTable),
    orders: requireEnv(ENV.ordersTable),
  });
  return ports;
}
