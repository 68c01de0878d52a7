import { createSimDriver } from '../../src/drivers/sim/index.js';
import { MainConfig } from '../../src/model/index.js';
import { runDriverConformance } from './suite.js';

runDriverConformance('sim', async () => {
  const driver = await createSimDriver({ config: MainConfig.parse({}), stateDir: '/nonexistent' });
  const { nic } = driver;
  return {
    driver,
    hooks: {
      resetPfBehindDriver: (pf) => nic.resetPf(pf),
      pokeVf: (pf, vf, field, value) => nic.poke(pf, vf, field, value),
      guestRequest: (pf, vf, request) => nic.guestRequest(pf, vf, request),
    },
  };
});
