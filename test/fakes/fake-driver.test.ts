/**
 * The fake driver most daemon tests run on is held to the same conformance suite as the real
 * drivers, so a daemon test that passes on it says something about a real NIC.
 */
import { runDriverConformance } from '../conformance/suite.js';
import { FakeDriver } from './fake-driver.js';

runDriverConformance('fake', async () => {
  const driver = new FakeDriver(['fake:0']);
  return {
    driver,
    hooks: {
      resetPfBehindDriver: (pf) => driver.resetPf(pf),
      pokeVf: (pf, vf, field, value) => driver.poke(pf, vf, { [field]: value }),
      guestRequest: (pf, vf, request) => driver.guestRequest(pf, vf, request),
    },
  };
});
