import { getCustomer, findCustomers } from '../../../shared/customers/use-cases/queries';
import { customerPorts, minute, people, placeOrder } from './support';

it('debug race', async () => {
  for (let round = 0; round < 15; round++) {
    const ports = await customerPorts();
    const phones = Array.from({ length: 20 }, (_, i) => `+4474000000${String(i).padStart(2, '0')}`);
    const resolutions = await Promise.all(
      phones.map((phone, i) => placeOrder(ports, `ord_${i}`, 'web', { email: people.grace.email, phone }, minute(i % 3))),
    );
    const customerId = resolutions[0]!.customerId;
    const customer = await getCustomer(ports, 'ops', customerId);
    const have = new Set(customer.identifiers.map((i) => i.value));
    const missing = phones.filter((p) => !have.has(p));
    if (missing.length > 0) {
      for (const p of missing) {
        const i = phones.indexOf(p);
        const found = await findCustomers(ports, 'ops', { phone: p });
        const res = await ports.customers.getResolution(`ord_${i}`);
        console.log('round', round, 'missing', p, 'owner', found.items[0]?.customerId, 'res', JSON.stringify(res));
      }
      const raw = await ports.customers.getProfile(customerId);
      console.log('version', raw?.version, 'count', raw?.identifiers.length, JSON.stringify(resolutions.map(r=>r.decision.outcome)));
    }
  }
});
